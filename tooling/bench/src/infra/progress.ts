import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The wait before the next probe of a count moving towards `target`: `intervalMs` near the end,
 * longer while far from it, up to `maxIntervalMs`. A third of the time the rest would take at the
 * rate seen so far, so the end is still seen within `intervalMs` unless the rate more than
 * triples; then at most `maxIntervalMs` late. Without a rate yet, `intervalMs`.
 */
export function nextProbeDelay(progress: {
  value: number;
  target: number;
  /** Counts per ms since the first probe; 0 before the count has moved. */
  rate: number;
  intervalMs: number;
  maxIntervalMs: number;
}): number {
  const { value, target, rate, intervalMs, maxIntervalMs } = progress;
  if (!(rate > 0)) return intervalMs;
  const third = (target - value) / rate / 3;
  return Math.min(maxIntervalMs, Math.max(intervalMs, third));
}

/**
 * Waits until `probe()` reaches `target`, for as long as it keeps moving: it fails when the
 * count has not changed for `stallMs`, or at `maxMs` in any case. Resolves with the time
 * (performance.now()) of the probe that first saw the target. With `maxIntervalMs`, probes less
 * often while the end is far (`nextProbeDelay`): for a probe that is itself work on the machine
 * being measured.
 */
export async function waitForCount(
  probe: () => Promise<number>,
  target: number,
  options: {
    stallMs: number;
    maxMs: number;
    intervalMs?: number;
    maxIntervalMs?: number;
    description: string;
  },
): Promise<number> {
  const intervalMs = options.intervalMs ?? 25;
  const maxIntervalMs = options.maxIntervalMs ?? intervalMs;
  const started = performance.now();
  let first: { value: number; at: number } | undefined;
  let last = -1;
  let lastChange = started;
  for (;;) {
    const value = await probe();
    const now = performance.now();
    if (value >= target) return now;
    first ??= { value, at: now };
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
    const rate = now > first.at ? (value - first.value) / (now - first.at) : 0;
    await sleep(nextProbeDelay({ value, target, rate, intervalMs, maxIntervalMs }));
  }
}
