import { pino } from 'pino';
import { loggerOptions } from './logger.ts';

/** A logger with the services' options that keeps its lines for the test. */
function capture() {
  const lines: string[] = [];
  const logger = pino(loggerOptions({ service: 'test', level: 'info' }), {
    write: (line: string) => lines.push(line),
  });
  return { logger, lines };
}

describe('the services’ logger', () => {
  it('when a Redis error carrying its AUTH arguments is logged, then the password is not in the line', () => {
    const { logger, lines } = capture();
    // What ioredis rejects a refused AUTH with: the command and its arguments on the error.
    const error = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['kafka-ecs', 'redis-secret-4711'] },
    });
    logger.error({ err: error }, 'redis error');
    logger.warn({ error }, 'redis error');

    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain('redis-secret-4711');
    // The error itself still says what went wrong (pino serializes errors under `err`).
    expect(lines[0]).toContain('WRONGPASS');
  });

  it('when a request with a bearer token is logged, then the token is not in the line', () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer secret-token-4711' } } }, 'request');
    expect(lines[0]).not.toContain('secret-token-4711');
  });
});
