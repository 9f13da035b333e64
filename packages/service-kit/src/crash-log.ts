import type { Logger } from 'pino';

/**
 * Logs what ends the process, an uncaught exception or an unhandled rejection (which Node 24
 * treats as one), as one fatal line of the service's log before Node prints it as text and
 * exits: the crash's cause is then where log queries look, with the error's stack under `err`.
 * A monitor only: the process still ends, as it must after an error nobody handled. Returns
 * what removes it.
 */
export function logUncaughtErrors(logger: Logger): () => void {
  const monitor = (error: unknown, origin: NodeJS.UncaughtExceptionOrigin) => {
    logger.fatal({ err: error, origin }, 'uncaught error: the process ends');
  };
  process.on('uncaughtExceptionMonitor', monitor);
  return () => {
    process.off('uncaughtExceptionMonitor', monitor);
  };
}
