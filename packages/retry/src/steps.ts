/**
 * The steps of the failure path, named so a test can stop the process at one of them
 * (FAULT_INJECT_CRASH_AT) and prove that a crash there loses nothing.
 */
export const RETRY_STEPS = [
  /** Main consumer: the batch's failures are routed, nothing is written yet. */
  'before-side-write',
  /** In the transaction, the retry records are sent but not committed. */
  'side-write-uncommitted',
  /** Side-topic consumer: jobs are scheduled, the side-topic offset is not committed. */
  'retry-scheduled',
  /** Retry job: the handler ran (and failed), its outcome is not written. */
  'during-retry',
  /** Retry job: the next retry record is written, the job is not marked done. */
  'after-retry-publish',
  /** In the transaction, the dead letters are sent but not committed. */
  'dead-letter-uncommitted',
] as const;
export type RetryStep = (typeof RETRY_STEPS)[number];

/** Called on reaching each step; the default does nothing. */
export type StepHook = (step: RetryStep) => void;
