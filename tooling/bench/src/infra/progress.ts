/**
 * Waits until `probe()` reaches `target`, for as long as it keeps moving: it fails when the
 * count has not changed for `stallMs`, or at `maxMs` in any case. Resolves with the time
 * (performance.now()) of the probe that first saw the target.
 */
export async function waitForCount(
  probe: () => Promise<number>,
  target: number,
  options: { stallMs: number; maxMs: number; intervalMs?: number; description: string },
): Promise<number> {
  const started = performance.now();
  let last = -1;
  let lastChange = started;
  for (;;) {
    const value = await probe();
    const now = performance.now();
    if (value >= target) return now;
    if (value !== last) {
      last = value;
      lastChange = now;
    }
    if (now - lastChange > options.stallMs) {
      throw new Error(
        `${options.description}: stuck at ${value} of ${target} for ${options.stallMs} ms`,
      );
    }
    if (now - started > options.maxMs) {
      throw new Error(`${options.description}: ${value} of ${target} after ${options.maxMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
