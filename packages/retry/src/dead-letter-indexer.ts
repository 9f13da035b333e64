import { DEAD_LETTER_REASONS, type DeadLetterReason, FailureHeaders as H } from '@kafka-ecs/events';
import type { BatchHandler } from '@kafka-ecs/kafka';
import type { DeadLetterStore } from './dead-letter-store.ts';
import { readChain } from './failure-chain.ts';
import type { Logger } from './logger.ts';
import type { RetryMetrics } from './metrics.ts';
import type { RetryState } from './retry-state.ts';

/** Told of each dead letter once, when it is indexed; see RetrySystemOptions.onDeadLettered. */
export type OnDeadLettered = (deadLetter: { topic: string; reason: DeadLetterReason }) => void;

/**
 * Reads this group's dead letters off the dead-letter topic (read-committed: never one of an
 * aborted transaction) into the operators' index. Idempotent: a redelivered record changes
 * nothing, so the index matches the topic whatever restarts happen.
 */
export function createDeadLetterIndexer(deps: {
  groupId: string;
  store: DeadLetterStore;
  state: RetryState;
  logger: Logger;
  metrics?: RetryMetrics;
  onDeadLettered?: OnDeadLettered;
}): BatchHandler {
  return async (batch) => {
    for (const record of batch.records) {
      if (record.headers[H.consumerGroup] !== deps.groupId) continue;
      let chain: ReturnType<typeof readChain>;
      try {
        chain = readChain(record);
      } catch (error) {
        // Written by hand or by another tool: nothing to index, and nowhere further to send it.
        deps.logger.warn({ err: error }, 'dead-letter record without failure headers; not indexed');
        continue;
      }
      const header = record.headers[H.deadLetterReason] as DeadLetterReason;
      const reason = DEAD_LETTER_REASONS.includes(header) ? header : 'non-retryable';
      const created = await deps.store.index({
        id: `${chain.origin.topic}:${chain.origin.partition}:${chain.origin.offset}`,
        topic: chain.origin.topic,
        partition: chain.origin.partition,
        offset: chain.origin.offset,
        key: chain.key,
        value: chain.value,
        headers: chain.headers,
        attempts: chain.attempt,
        reason,
        errorName: chain.errorName,
        errorMessage: chain.errorMessage,
        firstFailureAt: chain.firstFailureAt,
        failedAt: chain.lastFailureAt,
        consumerGroup: chain.consumerGroup,
        deadLetterPartition: record.partition,
        deadLetterOffset: record.offset,
        status: 'dead',
        history: [
          {
            at: chain.lastFailureAt,
            action: 'dead-lettered',
            attempt: chain.attempt,
            reason,
            errorName: chain.errorName,
            errorMessage: chain.errorMessage,
          },
        ],
      });
      // Counted here, once per committed dead letter, not where it was written (a batch
      // retried in place or a crash would count it again there).
      if (created) {
        await deps.state.count('deadLettered');
        deps.metrics?.deadLettered(reason);
        deps.onDeadLettered?.({ topic: chain.origin.topic, reason });
      }
    }
    return undefined;
  };
}
