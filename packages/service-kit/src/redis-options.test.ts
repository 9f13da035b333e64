import { redisTlsOptions } from './redis-options.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('redisTlsOptions', () => {
  it('when there is no CA bundle, then nothing is added (the URL says TLS and credentials)', () => {
    expect(redisTlsOptions('redis://127.0.0.1:6379')).toEqual({});
    expect(redisTlsOptions('rediss://user:secret@cache.example:6379')).toEqual({});
  });

  it('when a rediss:// URL comes with a CA bundle, then TLS trusts that CA', () => {
    expect(redisTlsOptions('rediss://user:secret@cache.example:6379', PEM)).toEqual({
      tls: { ca: [PEM] },
    });
  });

  it('when a redis:// URL comes with a CA bundle, then it throws without quoting the URL', () => {
    expect(() => redisTlsOptions('redis://user:secret@cache.example:6379', PEM)).toThrow(
      'a Redis CA bundle needs a rediss:// URL',
    );
    try {
      redisTlsOptions('redis://user:secret@cache.example:6379', PEM);
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });
});
