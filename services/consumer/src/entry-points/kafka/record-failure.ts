import { retriableOf } from '@kafka-ecs/errors';
import type { ConsumedRecord, RawRecord } from '@kafka-ecs/kafka';
import type { Logger } from 'pino';
import type { ConsumerMetrics } from '../../infra/metrics.ts';

/** A record that could not be applied, and why. */
export interface RecordFailure {
  record: ConsumedRecord;
  error: Error;
  /**
   * False when the same bytes would fail the same way (malformed JSON, schema violation,
   * unknown type, an error marked `retriable: false`): these skip the retries.
   */
  retriable: boolean;
  /** Short label for metrics and logs: a decode reason, or the error's name. */
  reason: string;
}

/**
 * The failure seam. Called with a batch's failed records; resolves with the records to write
 * (retry records, dead letters), which the batch consumer commits in one transaction with the
 * batch's offsets. Rejecting holds the batch uncommitted and it is offered again.
 */
export type RecordFailureHandler = (failures: RecordFailure[]) => Promise<RawRecord[]>;

/** What a failure's log line says: where the record goes from here. */
interface FailureWords {
  retriable: string;
  final: string;
}

const logFailures = (
  logger: Logger,
  metrics: ConsumerMetrics,
  failures: RecordFailure[],
  words: FailureWords,
) => {
  for (const { record, error, retriable, reason } of failures) {
    metrics.recordFailures.inc({ topic: record.topic, reason });
    logger.warn(
      {
        err: error,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key?.toString('utf8'),
        retriable,
        reason,
      },
      retriable ? words.retriable : words.final,
    );
  }
};

/** The live consumer's: every failure is logged, counted and routed by the retry system. */
export function createRoutingFailureHandler(deps: {
  logger: Logger;
  metrics: ConsumerMetrics;
  route: (failures: RecordFailure[]) => RawRecord[];
}): RecordFailureHandler {
  return async (failures) => {
    logFailures(deps.logger, deps.metrics, failures, {
      retriable: 'record failed; sending it to the retry topic',
      final: 'record can never apply; dead-lettering it',
    });
    return deps.route(failures);
  };
}

/** How often a rebuild tries a record whose handler fails retriably before it skips it. */
export const REBUILD_RECORD_TRIES = 3;

/**
 * For a rebuild of the view, whose bad records the live consumer already sent down the failure
 * path: a record that can never succeed is counted, logged and skipped. A retriable failure
 * holds the batch (retried in place: skipping a passing fault would leave the new view short)
 * for `tries` tries in all, then it is skipped too: the handlers are functions of the event, so a
 * failure that repeats is the failure the live consumer met, and its retries or its dead letter
 * are where it is dealt with. Holding it for good would hold the whole rebuild.
 */
export function createLoggingFailureHandler(deps: {
  logger: Logger;
  metrics: ConsumerMetrics;
  /** Told of each record the rebuild leaves out. */
  onSkipped?: (failure: RecordFailure) => void;
  tries?: number;
}): RecordFailureHandler {
  const maxTries = deps.tries ?? REBUILD_RECORD_TRIES;
  // Tries so far of the records held now; a record leaves once it is skipped.
  const tries = new Map<string, number>();
  return async (failures) => {
    logFailures(deps.logger, deps.metrics, failures, {
      retriable: 'record failed in the rebuild; trying it again in place',
      final: 'record can never apply; the rebuild skips it (the live consumer dead-lettered it)',
    });
    const held: RecordFailure[] = [];
    for (const failure of failures) {
      const key = `${failure.record.topic}/${failure.record.partition}@${failure.record.offset}`;
      const tried = (tries.get(key) ?? 0) + 1;
      if (failure.retriable && tried < maxTries) {
        tries.set(key, tried);
        held.push(failure);
        continue;
      }
      tries.delete(key);
      if (failure.retriable) {
        deps.logger.error(
          {
            topic: failure.record.topic,
            partition: failure.record.partition,
            offset: failure.record.offset,
            reason: failure.reason,
            tries: tried,
          },
          'record failed in every try; the rebuild skips it (its retries or dead letter are in the live failure path)',
        );
      }
      deps.onSkipped?.(failure);
    }
    if (held.length > 0) {
      throw new Error(`${held.length} record(s) failed retriably; holding the batch uncommitted`, {
        cause: held[0]?.error,
      });
    }
    return [];
  };
}

/** Classifies an error thrown while decoding or handling a record. */
export function classifyError(thrown: unknown): Omit<RecordFailure, 'record'> {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const reason = (error as { reason?: unknown }).reason;
  return {
    error,
    // An error that says nothing is taken as transient: retried, then dead-lettered.
    retriable: retriableOf(error) !== false,
    reason: typeof reason === 'string' ? reason : error.name,
  };
}

export const toRecordFailure = (record: ConsumedRecord, thrown: unknown): RecordFailure => ({
  record,
  ...classifyError(thrown),
});
