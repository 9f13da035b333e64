export interface WaitForOptions {
  /** How long to keep trying before failing. @defaultValue 10_000 */
  timeoutMs?: number;
  /** Pause between two tries. @defaultValue 25 */
  intervalMs?: number;
  /** Said in the error when the time runs out. */
  description?: string;
}

/**
 * Polls `probe` until it returns a value other than `undefined`, `null` or `false`, and returns
 * that value. A probe that throws counts as "not yet"; the last error is reported on timeout.
 * This, never a fixed sleep, is how tests wait for something asynchronous to happen.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, false | null | undefined>> {
  const { timeoutMs = 10_000, intervalMs = 25, description = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) {
        return value as Exclude<T, false | null | undefined>;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`waitFor: ${description} not met within ${timeoutMs} ms${reason}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
