import { pino } from 'pino';
import { loggerOptions } from './logger.ts';
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

  it('when a cluster error carries its last node error (refused credentials), then that one loses its arguments too', () => {
    const nodeError = replyError();
    const clusterError = Object.assign(new Error('Failed to refresh slots cache.'), {
      lastNodeError: nodeError,
    });
    const wrapped = new Error('start failed', { cause: clusterError });
    const logged = redisErrorForLog(wrapped) as Error & {
      cause: Error & { lastNodeError: Error & { command: unknown } };
    };
    expect(logged.message).toBe('start failed');
    expect(logged.cause.message).toBe('Failed to refresh slots cache.');
    expect(logged.cause.lastNodeError.message).toBe(nodeError.message);
    expect(logged.cause.lastNodeError.command).toEqual({ name: 'auth' });
    // As pino writes it: the line holds no password at any depth.
    const lines: string[] = [];
    pino(loggerOptions({ service: 'test', level: 'info' }), {
      write: (line: string) => lines.push(line),
    }).warn({ err: redisErrorForLog(clusterError) }, 'redis connection failed; reconnecting');
    expect(lines.join('')).toContain('WRONGPASS');
    expect(lines.join('')).not.toContain('the-password');
    expect(nodeError.command.args).toEqual(['view', 'the-password']);
  });

  it('when an error has no command, then it is logged as it is', () => {
    const error = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    expect(redisErrorForLog(error)).toBe(error);
    expect(redisErrorForLog('not an error')).toBe('not an error');
  });
});
