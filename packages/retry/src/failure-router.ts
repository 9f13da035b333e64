import type { RawRecord } from '@kafka-ecs/kafka';
import {
  type AttemptFailure,
  type SourceRecord,
  startChain,
  toDeadLetterRecord,
  toRetryRecord,
} from './failure-chain.ts';
import type { StepHook } from './steps.ts';

/** A record of an event topic that its handler could not apply. */
export interface RecordFailure extends AttemptFailure {
  record: SourceRecord;
}

export interface RouterTopics {
  retry: string;
  deadLetter: string;
}

/**
 * The main consumer's failure path: each failed record becomes a retry record (or, when it can
 * never succeed, a dead letter at once). The records are returned, not sent: the batch consumer
 * writes them in one transaction with the batch's offset commit.
 */
export function createFailureRouter(deps: {
  topics: RouterTopics;
  groupId: string;
  now?: () => Date;
  onStep?: StepHook;
}): (failures: RecordFailure[]) => RawRecord[] {
  const now = deps.now ?? (() => new Date());
  return (failures) => {
    deps.onStep?.('before-side-write');
    const at = now();
    return failures.map((failure) => {
      const chain = startChain(failure.record, failure, deps.groupId, at);
      return failure.retriable
        ? toRetryRecord(chain, deps.topics.retry)
        : toDeadLetterRecord(chain, deps.topics.deadLetter, 'non-retryable');
    });
  };
}
