import { FailureHeaders as H } from '@kafka-ecs/events';
import type { BatchHandler, RawRecord } from '@kafka-ecs/kafka';
import {
  type FailureChain,
  readChain,
  type SourceRecord,
  startChain,
  toDeadLetterRecord,
} from './failure-chain.ts';
import type { RouterTopics } from './failure-router.ts';
import type { Logger } from './logger.ts';
import type { RetryMetrics } from './metrics.ts';
import { type RetryPolicy, retryDelayMs } from './retry-policy.ts';
import { type RetryQueue, type ScheduledRetry, serializeRecord } from './retry-queue.ts';
import type { AttemptClaim, RetryState } from './retry-state.ts';
import type { StepHook } from './steps.ts';

/**
 * How long a chain's count outlives its next retry's due time. Duplicates of a failure (a retry
 * job run twice after a crash) arrive within seconds; an hour is plenty, and a count that is
 * gone only costs the de-duplication, never a retry.
 */
export const STATE_GRACE_MS = 60 * 60 * 1000;

/** The chain's last failure ends it: past the last attempt, or not worth retrying. */
export const isTerminal = (policy: RetryPolicy, chain: FailureChain): boolean =>
  !chain.retriable || chain.attempt >= policy.maxAttempts;

/**
 * What a retry record claims on its chain's count, and its job's delay: due from the failure, not
 * from now, so a lagging side-topic consumer does not stretch the schedule; a terminal failure is
 * not delayed. The count outlives the job by STATE_GRACE_MS.
 */
export function attemptClaim(
  deps: { policy: RetryPolicy; state: RetryState },
  record: SourceRecord,
  chain: FailureChain,
  now: Date,
): { delayMs: number; claim: AttemptClaim } {
  const delayMs = isTerminal(deps.policy, chain)
    ? 0
    : Math.max(
        0,
        Date.parse(chain.lastFailureAt) + retryDelayMs(deps.policy, chain.attempt) - now.getTime(),
      );
  return {
    delayMs,
    claim: {
      key: deps.state.keyOf(chain.origin.topic, chain.value),
      attempt: chain.attempt,
      ref: `${record.partition}:${record.offset}`,
      expireMs: delayMs + STATE_GRACE_MS,
    },
  };
}

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
    // The delay is read once per record: the count's expiry and the job's delay agree.
    const candidates: {
      record: SourceRecord;
      chain: FailureChain;
      delayMs: number;
      claim: AttemptClaim;
    }[] = [];
    for (const record of batch.records) {
      const group = record.headers[H.consumerGroup];
      // Another group's failure: that group retries it (the side topic is shared).
      if (group !== undefined && group !== deps.groupId) continue;
      let chain: FailureChain;
      try {
        chain = readChain(record);
      } catch (error) {
        logger.error({ err: error }, 'not a retry record; dead-lettering it as it is');
        const failure = { error: error as Error, retriable: false };
        chain = startChain(record, failure, deps.groupId, now());
        deadLetters.push(toDeadLetterRecord(chain, deps.topics.deadLetter, 'non-retryable'));
        continue;
      }
      candidates.push({ record, chain, ...attemptClaim(deps, record, chain, now()) });
    }
    // One round trip for the batch's claims (in order, so two failures of one chain in this
    // batch are still decided one after the other).
    const claimed = await state.claimAll(candidates.map((candidate) => candidate.claim));
    candidates.forEach(({ record, chain, delayMs, claim }, index) => {
      if (!claimed[index]) {
        deps.metrics?.duplicate();
        logger.debug(
          { key: claim.key, attempt: chain.attempt },
          'failure already counted; skipping',
        );
        return;
      }
      if (isTerminal(policy, chain)) {
        const reason = chain.retriable ? 'exhausted' : 'non-retryable';
        deadLetters.push(toDeadLetterRecord(chain, deps.topics.deadLetter, reason));
        return;
      }
      retries.push({
        // The side-topic record's own position: a redelivered record schedules the same job,
        // and no other chain can ever have it.
        id: `${record.partition}-${record.offset}`,
        delayMs,
        data: { stateKey: claim.key, record: serializeRecord(record) },
      });
    });
    await deps.queue.schedule(retries);
    if (retries.length > 0) {
      await state.count('scheduled', retries.length);
      deps.metrics?.scheduled(retries.length);
      deps.onStep?.('retry-scheduled');
    }
    return { produce: deadLetters };
  };
}
