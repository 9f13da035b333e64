/**
 * `work`, or a rejection once `timeoutMs` have passed without it settling (with `message`, or
 * "timed out after N ms"). `work` runs on regardless; the timer never outlives the race.
 */
export async function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  message = `timed out after ${timeoutMs} ms`,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(message)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
