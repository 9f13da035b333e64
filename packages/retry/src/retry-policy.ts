/** The retry schedule (RETRY_* in the contract). */
export interface RetryPolicy {
  /** Failed attempts, the first run included, before the dead-letter queue. */
  maxAttempts: number;
  /** Delay before the first retry. */
  backoffMs: number;
  factor: number;
  /** Cap on one delay. */
  maxBackoffMs: number;
}

/**
 * Delay before retry n (n = 1 after the first failure): backoff × factor^(n-1), capped. With
 * the defaults (60 s, ×5, 1 h cap, 5 attempts) a record is retried after 1, 5, 25 and 60 min.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxBackoffMs, Math.round(policy.backoffMs * policy.factor ** (retry - 1)));
}

/** Every retry's delay, in order: maxAttempts − 1 of them. */
export function retrySchedule(policy: RetryPolicy): number[] {
  return Array.from({ length: policy.maxAttempts - 1 }, (_, index) =>
    retryDelayMs(policy, index + 1),
  );
}

/** The longest a failure chain can wait in all, from first failure to dead letter. */
export const retryChainMs = (policy: RetryPolicy): number =>
  retrySchedule(policy).reduce((sum, delay) => sum + delay, 0);
