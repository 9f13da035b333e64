import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/** The whole shutdown's deadline, unless a service sets its own. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * Runs the steps in order (the reverse of start: stop accepting HTTP, drain, flush, disconnect)
 * once, on the first SIGTERM or SIGINT. A step that fails is logged and the next one still runs.
 * If everything has not finished within `deadlineMs`, the process exits 1 rather than linger
 * past the orchestrator's kill timeout (ECS waits 30 s by default).
 */
export function onShutdownSignal(options: {
  logger: Logger;
  steps: ShutdownStep[];
  deadlineMs?: number;
  exit?: (code: number) => void;
}): (exitCode?: number) => Promise<void> {
  const {
    logger,
    steps,
    deadlineMs = SHUTDOWN_DEADLINE_MS,
    exit = (code) => process.exit(code),
  } = options;
  let running: Promise<void> | undefined;
  /** Runs the steps (once) and exits with `exitCode`, or 1 if a step failed. */
  const shutdown = (exitCode = 0) => {
    running ??= (async () => {
      const deadline = setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown did not finish in time; exiting');
        exit(1);
      }, deadlineMs);
      deadline.unref();
      let failed = false;
      for (const step of steps) {
        try {
          await step.run();
          logger.debug({ step: step.name }, 'shutdown step done');
        } catch (error) {
          failed = true;
          logger.error({ err: error, step: step.name }, 'shutdown step failed');
        }
      }
      logger.info('stopped');
      // createLogger's logger writes synchronously, but a logger passed in may buffer: flush so
      // the last lines are not lost to process.exit. Still under the deadline: a blocked stdout
      // must not keep the process alive.
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      clearTimeout(deadline);
      exit(failed ? 1 : exitCode);
    })();
    return running;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      void shutdown();
    });
  }
  return shutdown;
}
