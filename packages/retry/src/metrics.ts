import type { DeadLetterReason } from '@kafka-ecs/events';

/** What the failure path reports as it goes; the service maps these onto its own metrics. */
export interface RetryMetrics {
  scheduled(count: number): void;
  /** A failure delivered twice and counted once. */
  duplicate(): void;
  /** A retry job ran the handler again. */
  retried(outcome: 'succeeded' | 'failed'): void;
  deadLettered(reason: DeadLetterReason): void;
  replayed(outcome: 'replayed' | 'failed'): void;
  /** An operator discarded a dead letter. */
  discarded(): void;
  /** Redis or BullMQ failed under the retry machinery (the work is retried). */
  infrastructureFailure(component: 'redis' | 'bullmq' | 'kafka'): void;
}
