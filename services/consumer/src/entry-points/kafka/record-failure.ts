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

/** How often a rebuild tries a record whose handler fails retriably before it gives up on it. */
export const REBUILD_RECORD_TRIES = 3;

/** How a rebuild left a record out: it can never apply, or it kept failing. */
export type RebuildSkip = 'never-applies' | 'kept-failing';

/**
 * For a rebuild of the view, whose bad records the live consumer already sent down the failure
 * path. A record that can never succeed is counted, logged and skipped. A retriable failure
 * holds the batch (retried in place: skipping a passing fault would leave the new view short)
 * for `tries` tries; then, as its handler would fail it forever, the rebuild gives up on it:
 * with `skipFailing` it is skipped (its event is in the live failure path: a retry or a dead
 * letter), else `onGaveUp` is told, for the rebuild to stop. A changed handler that rejects an
 * event the old view applied must stop a rebuild, not be left out of the new view unseen.
 */
export function createLoggingFailureHandler(deps: {
  logger: Logger;
  metrics: ConsumerMetrics;
  /** Skip a record that keeps failing rather than give up the rebuild. @defaultValue false */
  skipFailing?: boolean;
  /** Told once of each record the rebuild leaves out. */
  onSkipped?: (failure: RecordFailure, why: RebuildSkip) => void;
  /** Told of a record that failed its every try, when not skipping: the rebuild should stop. */
  onGaveUp?: (failure: RecordFailure) => void;
  tries?: number;
}): RecordFailureHandler {
  const maxTries = deps.tries ?? REBUILD_RECORD_TRIES;
  const positionOf = ({ record }: RecordFailure) =>
    `${record.topic}/${record.partition}@${record.offset}`;
  // Tries so far of the records held now; skipped ones, so a batch offered again (a commit
  // lost to a rebalance) counts them once.
  const tries = new Map<string, number>();
  const skipped = new Set<string>();
  const skip = (failure: RecordFailure, position: string, why: RebuildSkip) => {
    tries.delete(position);
    skipped.add(position);
    deps.onSkipped?.(failure, why);
  };
  return async (failures) => {
    logFailures(deps.logger, deps.metrics, failures, {
      retriable: 'record failed in the rebuild; trying it again in place',
      final: 'record can never apply; the rebuild skips it (the live consumer dead-lettered it)',
    });
    const held: RecordFailure[] = [];
    for (const failure of failures) {
      const position = positionOf(failure);
      // Left out already, its batch offered again (a commit lost to a rebalance).
      if (skipped.has(position)) continue;
      if (!failure.retriable) {
        skip(failure, position, 'never-applies');
        continue;
      }
      const tried = (tries.get(position) ?? 0) + 1;
      tries.set(position, tried);
      if (tried < maxTries) {
        held.push(failure);
        continue;
      }
      const where = {
        topic: failure.record.topic,
        partition: failure.record.partition,
        offset: failure.record.offset,
        reason: failure.reason,
        tries: tried,
      };
      if (deps.skipFailing) {
        deps.logger.error(
          where,
          'record failed in every try; skipped (--skip-failing): its retries or dead letter are in the live failure path',
        );
        skip(failure, position, 'kept-failing');
        continue;
      }
      deps.logger.error(where, 'record failed in every try; the rebuild stops');
      deps.onGaveUp?.(failure);
      held.push(failure);
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
