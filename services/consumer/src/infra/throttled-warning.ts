/** Runs `run` after `ms`; the returned function cancels it. */
type Schedule = (run: () => void, ms: number) => () => void;

// Never what keeps the process alive.
const unrefTimer: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * A warning logged at most once per `intervalMs`, with how many times it happened since the last
 * line (`count`): for what anyone outside can make happen at will (a refused connection, an
 * unreadable message), where a line each would let them fill the log. The first time is logged
 * at once; what happens within the interval after a line is logged when it ends, so no burst
 * goes unreported.
 */
export function throttledWarning(
  logger: { warn(details: object, message: string): void },
  message: string,
  options: { intervalMs?: number; now?: () => number; schedule?: Schedule } = {},
): (details?: object) => void {
  const intervalMs = options.intervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? unrefTimer;
  let count = 0;
  let latest: object = {};
  let loggedAt = Number.NEGATIVE_INFINITY;
  let cancel: (() => void) | undefined;
  const log = () => {
    cancel = undefined;
    logger.warn({ ...latest, count }, message);
    count = 0;
    loggedAt = now();
  };
  return (details = {}) => {
    count += 1;
    latest = details;
    const wait = loggedAt + intervalMs - now();
    if (wait > 0) {
      cancel ??= schedule(log, wait);
      return;
    }
    cancel?.();
    log();
  };
}
