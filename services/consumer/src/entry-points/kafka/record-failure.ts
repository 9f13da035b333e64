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

const logFailures = (logger: Logger, metrics: ConsumerMetrics, failures: RecordFailure[]) => {
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
      retriable
        ? 'record failed; sending it to the retry topic'
        : 'record can never apply; dead-lettering it',
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
    logFailures(deps.logger, deps.metrics, failures);
    return deps.route(failures);
  };
}

/**
 * For a rebuild of the view, whose bad records the live consumer already sent down the failure
 * path: a record that can never succeed is counted, logged and skipped; a retriable failure
 * holds the batch (retried in place), because skipping it would leave the new view short.
 */
export function createLoggingFailureHandler(deps: {
  logger: Logger;
  metrics: ConsumerMetrics;
}): RecordFailureHandler {
  return async (failures) => {
    logFailures(deps.logger, deps.metrics, failures);
    const retriable = failures.filter((failure) => failure.retriable);
    if (retriable.length > 0) {
      throw new Error(
        `${retriable.length} record(s) failed retriably; holding the batch uncommitted`,
        { cause: retriable[0]?.error },
      );
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
