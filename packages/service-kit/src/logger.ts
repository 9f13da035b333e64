import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs, one line per entry, with the service name on every line. Secrets that could reach
 * a log through a request or an error object are redacted by path.
 */
export function createLogger(options: { service: string; level: string }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', '*.password', '*.token', 'password', 'token'],
        censor: '[redacted]',
      },
    },
    // Synchronous, like Node's own stdout on a pipe. pino's default asynchronous stream, when the
    // pipe is full (EAGAIN), retries its pending chunk on a timer while a flush at exit writes the
    // later lines first: the shutdown log came out of order in CI. Order and nothing lost at exit
    // matter more here than the microseconds a blocking write costs.
    pino.destination({ fd: 1, sync: true }),
  );
}
