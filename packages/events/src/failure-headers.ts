/**
 * Headers of records on the retry side-topic and the dead-letter queue (see shared/contract.md).
 * Values are strings; the record's key and value are the original's, unchanged.
 */
export const FailureHeaders = {
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  /** Failed attempts so far, the first run included. */
  attempt: 'x-attempt',
  errorName: 'x-error-name',
  errorMessage: 'x-error-message',
  /** ISO 8601 instants. */
  firstFailureAt: 'x-first-failure-at',
  lastFailureAt: 'x-last-failure-at',
  /** The group whose handler failed: only that group retries or replays the record. */
  consumerGroup: 'x-consumer-group',
  /** Side-topic only, our extension: 'false' when the last failure can never succeed. */
  retriable: 'x-retriable',
  deadLetterReason: 'x-dead-letter-reason',
} as const;

export const DEAD_LETTER_REASONS = ['exhausted', 'non-retryable'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

const FAILURE_HEADER_NAMES = new Set<string>(Object.values(FailureHeaders));

/** True for the headers this system adds, so a copy of the original headers can drop them. */
export const isFailureHeader = (name: string): boolean => FAILURE_HEADER_NAMES.has(name);

/**
 * The steps of the consumer's failure path, named so a test can stop the process at one of them
 * (FAULT_INJECT_CRASH_AT) and prove that a crash there loses nothing (docs/retries.md).
 */
export const FAILURE_PATH_STEPS = [
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
export type FailurePathStep = (typeof FAILURE_PATH_STEPS)[number];
