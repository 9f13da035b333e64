import type { Clock } from './clock.ts';
import { ExitCode, isThrottlingError, RolloutCliError } from './errors.ts';

export interface RetryOptions {
  /** Tries in all, the first included. @defaultValue 5 */
  attempts?: number;
  /** Delay before the second try; doubles on each further try. @defaultValue 500 */
  baseDelayMs?: number;
}

/**
 * Runs one AWS call, retrying it when AWS throttles us (the SDK retries too, but a long rollout
 * poll can outlast its budget). Any other error, or throttling past the last try, becomes a
 * RolloutCliError with exit code `awsError` that says what we were doing.
 */
export async function awsCall<T>(
  what: string,
  fn: () => Promise<T>,
  clock: Clock,
  { attempts = 5, baseDelayMs = 500 }: RetryOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof RolloutCliError) throw error;
      if (isThrottlingError(error) && attempt < attempts) {
        await clock.sleep(baseDelayMs * 2 ** (attempt - 1));
        continue;
      }
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      const suffix = isThrottlingError(error) ? ` (still throttled after ${attempts} tries)` : '';
      throw new RolloutCliError(`${what} failed: ${name}: ${message}${suffix}`, ExitCode.awsError, {
        cause: error,
      });
    }
  }
}

/** Every ARN of a paginated list call (ListClusters, ListServices, …), page after page. */
export async function listAll(
  fetchPage: (nextToken: string | undefined) => Promise<{ arns: string[]; nextToken?: string }>,
): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await fetchPage(nextToken);
    arns.push(...page.arns);
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}
