import { FailureHeaders as H } from '@kafka-ecs/events';
import type { BatchHandler, RawRecord } from '@kafka-ecs/kafka';
import { readChain, type SourceRecord, startChain, toDeadLetterRecord } from './failure-chain.ts';
import type { RouterTopics } from './failure-router.ts';
import type { Logger } from './logger.ts';
import type { RetryMetrics } from './metrics.ts';
import { type RetryPolicy, retryDelayMs } from './retry-policy.ts';
import type { RetryJobData, RetryQueue, ScheduledRetry } from './retry-queue.ts';
import type { RetryState } from './retry-state.ts';
import type { StepHook } from './steps.ts';

/**
 * How long a chain's count outlives its next retry's due time. Duplicates of a failure (a retry
 * job run twice after a crash) arrive within seconds; an hour is plenty, and a count that is
 * gone only costs the de-duplication, never a retry.
 */
export const STATE_GRACE_MS = 60 * 60 * 1000;

/**
 * The side-topic consumer: for each retry record of this group, count the failure in Redis (once,
 * however often the record is delivered), then either schedule the next attempt as a delayed
 * job or, past the last attempt, return a dead letter, which the batch consumer writes in one
 * transaction with this batch's commit.
 */
export function createRetryTopicProcessor(deps: {
  groupId: string;
  topics: RouterTopics;
  policy: RetryPolicy;
  state: RetryState;
  queue: RetryQueue;
  logger: Logger;
  metrics?: RetryMetrics;
  onStep?: StepHook;
  now?: () => Date;
}): BatchHandler {
  const { policy, state, logger } = deps;
  const now = deps.now ?? (() => new Date());
  return async (batch) => {
    const deadLetters: RawRecord[] = [];
    const retries: ScheduledRetry[] = [];
    for (const record of batch.records) {
      const group = record.headers[H.consumerGroup];
      // Another group's failure: that group retries it (the side topic is shared).
      if (group !== undefined && group !== deps.groupId) continue;
      let chain: ReturnType<typeof readChain>;
      try {
        chain = readChain(record);
      } catch (error) {
        logger.error({ err: error }, 'not a retry record; dead-lettering it as it is');
        const failure = { error: error as Error, retriable: false };
        chain = startChain(record, failure, deps.groupId, now());
        deadLetters.push(toDeadLetterRecord(chain, deps.topics.deadLetter, 'non-retryable'));
        continue;
      }
      const key = state.keyOf(chain.origin.topic, chain.value);
      const terminal = !chain.retriable || chain.attempt >= policy.maxAttempts;
      // Due from the failure, not from now: a lagging side-topic consumer does not stretch
      // the schedule.
      const dueAt = Date.parse(chain.lastFailureAt) + retryDelayMs(policy, chain.attempt);
      const delayMs = terminal ? 0 : Math.max(0, dueAt - now().getTime());
      const claimed = await state.claim(
        key,
        chain.attempt,
        `${record.partition}:${record.offset}`,
        delayMs + STATE_GRACE_MS,
      );
      if (!claimed) {
        deps.metrics?.duplicate();
        logger.debug({ key, attempt: chain.attempt }, 'failure already counted; skipping');
        continue;
      }
      if (terminal) {
        const reason = chain.retriable ? 'exhausted' : 'non-retryable';
        deadLetters.push(toDeadLetterRecord(chain, deps.topics.deadLetter, reason));
        continue;
      }
      retries.push({
        // The side-topic record's own position: a redelivered record schedules the same job,
        // and no other chain can ever have it.
        id: `${record.partition}-${record.offset}`,
        delayMs,
        data: { stateKey: key, record: serializeRecord(record) },
      });
    }
    await deps.queue.schedule(retries);
    if (retries.length > 0) {
      await state.count('scheduled', retries.length);
      deps.metrics?.scheduled(retries.length);
      deps.onStep?.('retry-scheduled');
    }
    return { produce: deadLetters };
  };
}

export function serializeRecord(record: SourceRecord): RetryJobData['record'] {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key?.toString('base64') ?? null,
    value: record.value?.toString('base64') ?? null,
    headers: record.headers,
  };
}

export function deserializeRecord(data: RetryJobData['record']): SourceRecord {
  return {
    ...data,
    key: data.key === null ? null : Buffer.from(data.key, 'base64'),
    value: data.value === null ? null : Buffer.from(data.value, 'base64'),
  };
}
