/** The longest delay setTimeout keeps (about 24.8 days); a longer one fires at once. */
const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * Calls `run` at `at` (at once if it has passed), however far off: a delay past what setTimeout
 * keeps is waited in steps. The timer does not keep the process alive. Returns the cancel.
 */
export function callAt(at: Date, run: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const wait = () => {
    const left = at.getTime() - Date.now();
    if (left <= 0) {
      timer = undefined;
      run();
      return;
    }
    timer = setTimeout(wait, Math.min(left, TIMER_MAX_MS));
    timer.unref();
  };
  wait();
  return () => clearTimeout(timer);
}
