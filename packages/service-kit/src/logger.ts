import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs, one line per entry, with the service name on every line. Secrets that could reach
 * a log through a request or an error object are redacted by path.
 */
export function createLogger(options: { service: string; level: string }): Logger {
  return pino({
    level: options.level,
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.token', 'password', 'token'],
      censor: '[redacted]',
    },
  });
}
