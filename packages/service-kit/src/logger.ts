import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths a secret can reach a log line through: a request's credentials, a field named for one,
 * and the arguments ioredis attaches to a failed command's error (a refused AUTH carries the
 * Redis password there).
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  '*.password',
  '*.token',
  'password',
  'token',
  'err.command.args',
  'error.command.args',
  // A cluster's error carries its last node's (redisErrorForLog strips both; this is the net).
  'err.lastNodeError.command.args',
  'error.lastNodeError.command.args',
];

/** The options every service's logger is built with (exported for its test). */
export function loggerOptions(options: { service: string; level: string }): LoggerOptions {
  return {
    level: options.level,
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/**
 * JSON logs, one line per entry, with the service name on every line. Secrets that could reach
 * a log through a request or an error object are redacted by path.
 */
export function createLogger(options: { service: string; level: string }): Logger {
  return pino(
    loggerOptions(options),
    // Synchronous, like Node's own stdout on a pipe. pino's default asynchronous stream, when the
    // pipe is full (EAGAIN), retries its pending chunk on a timer while a flush at exit writes the
    // later lines first: the shutdown log came out of order in CI. Order and nothing lost at exit
    // matter more here than the microseconds a blocking write costs.
    pino.destination({ fd: 1, sync: true }),
  );
}
