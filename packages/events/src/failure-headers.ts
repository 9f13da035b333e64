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
