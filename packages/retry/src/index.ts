export {
  BULK_REPLAY_BOUNDS,
  BulkReplayInterruptedError,
  type BulkReplayOptions,
  type BulkReplayResult,
  InvalidBulkReplayError,
} from './bulk-replay.ts';
export {
  AUDIT_MAX_ENTRIES,
  type DeadLetterAuditEntry,
  type DeadLetterAuditPage,
} from './dead-letter-audit.ts';
export {
  type DeadLetterOperations,
  InvalidOperatorInputError,
  MAX_DISCARD_REASON_LENGTH,
  ServiceStoppingError,
} from './dead-letter-operations.ts';
export {
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterHistoryEntry,
  type DeadLetterPage,
  type DeadLetterStore,
  InvalidCursorError,
} from './dead-letter-store.ts';
export type { DiscardResult } from './discard.ts';
export {
  type AttemptFailure,
  continueChain,
  type FailureChain,
  InvalidFailureRecordError,
  readChain,
  type SourceRecord,
  startChain,
  toDeadLetterRecord,
  toRetryRecord,
} from './failure-chain.ts';
export type { RecordFailure, RouterTopics } from './failure-router.ts';
export type { RetryMetrics } from './metrics.ts';
export { type FailurePathRecovery, recoverFailurePath } from './recover-failure-path.ts';
export type { ReplayResult } from './replay.ts';
export type { OriginalRecord, RecordRunner, RunOutcome } from './retry-job.ts';
export { type RetryPolicy, retryChainMs, retryDelayMs, retrySchedule } from './retry-policy.ts';
export type { RetryStats } from './retry-state.ts';
export {
  createRetrySystem,
  type RetrySystem,
  type RetrySystemOptions,
  retryGroupIds,
} from './retry-system.ts';
export { RETRY_STEPS, type RetryStep, type StepHook } from './steps.ts';
