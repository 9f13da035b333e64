import type { TransactionalProducer } from '@kafka-ecs/kafka';
import {
  type AttemptFailure,
  continueChain,
  readChain,
  type SourceRecord,
  toRetryRecord,
} from './failure-chain.ts';
import type { RouterTopics } from './failure-router.ts';
import type { RetryMetrics } from './metrics.ts';
import { deserializeRecord, type RetryJobData } from './retry-queue.ts';
import type { RetryState } from './retry-state.ts';
import type { StepHook } from './steps.ts';

/** The record as its handler first saw it: original topic, key, value and headers. */
export type OriginalRecord = Pick<SourceRecord, 'topic' | 'key' | 'value' | 'headers'>;

export type RunOutcome = { ok: true } | { ok: false; failure: AttemptFailure };

/**
 * Re-runs the original handler for a record, as attempt number `attempt`. Resolves with the
 * handler's verdict; rejects only when infrastructure failed (Redis down), in which case
 * nothing is recorded and the caller tries again later.
 */
export type RecordRunner = (record: OriginalRecord, attempt: number) => Promise<RunOutcome>;

/**
 * One retry: re-run the handler in this consumer group's process. Success clears the chain's
 * count; a failure goes around again as a new side-topic record carrying attempt + 1 (the
 * side-topic consumer decides between another retry and the dead-letter queue).
 */
export function createRetryJobProcessor(deps: {
  run: RecordRunner;
  state: RetryState;
  producer: TransactionalProducer;
  topics: RouterTopics;
  metrics?: RetryMetrics;
  onStep?: StepHook;
  now?: () => Date;
}): (data: RetryJobData) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  return async (data) => {
    const chain = readChain(deserializeRecord(data.record));
    // A job run again after its next failure was counted (its worker died after publishing it),
    // or one of several the recovery scheduled for one chain: the chain is past it.
    if (await deps.state.isPast(data.stateKey, chain.attempt)) return;
    const outcome = await deps.run(
      { topic: chain.origin.topic, key: chain.key, value: chain.value, headers: chain.headers },
      chain.attempt + 1,
    );
    await deps.state.count('retried');
    if (outcome.ok) {
      await deps.state.clear(data.stateKey);
      await deps.state.count('succeeded');
      deps.metrics?.retried('succeeded');
      return;
    }
    deps.metrics?.retried('failed');
    deps.onStep?.('during-retry');
    const next = continueChain(chain, outcome.failure, now());
    await deps.producer.send([toRetryRecord(next, deps.topics.retry)]);
    deps.onStep?.('after-retry-publish');
  };
}
