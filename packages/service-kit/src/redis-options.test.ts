import { redisErrorForLog, redisTlsOptions } from './redis-options.ts';

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

describe('redisErrorForLog', () => {
  const replyError = () =>
    Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['view', 'the-password'] },
    });

  it('when an error carries its command, then the copy keeps the name and drops the arguments', () => {
    const error = replyError();
    const logged = redisErrorForLog(error) as Error & { command: unknown };
    expect(logged).toBeInstanceOf(Error);
    expect(logged.message).toBe('WRONGPASS invalid username-password pair');
    expect(logged.stack).toBe(error.stack);
    expect(logged.command).toEqual({ name: 'auth' });
    expect(JSON.stringify({ ...logged })).not.toContain('the-password');
    // The original is left as it was: the client may still be handling it.
    expect(error.command.args).toEqual(['view', 'the-password']);
  });

  it('when an error has no command, then it is logged as it is', () => {
    const error = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    expect(redisErrorForLog(error)).toBe(error);
    expect(redisErrorForLog('not an error')).toBe('not an error');
  });
});
