import type { ConsumedRecord } from '@kafka-ecs/kafka';
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
 * The failure seam. Called with a batch's failed records before its offsets are committed;
 * resolving means each record is safely somewhere (the retry side-topic, the dead-letter queue),
 * rejecting holds the batch uncommitted and it is offered again. The retry work (issue 5) plugs
 * its side-topic / dead-letter publisher in here.
 */
export type RecordFailureHandler = (failures: RecordFailure[]) => Promise<void>;

/**
 * Until the retry side-topic exists (issue 5): a record that can never succeed (malformed, schema
 * violation, unknown type) is counted, logged and skipped, so it never blocks its partition; a
 * retriable failure holds the batch uncommitted (the batch consumer retries it in place with a
 * growing pause), because skipping it would lose an event that could still be applied.
 */
export function createLoggingFailureHandler(deps: {
  logger: Logger;
  metrics: ConsumerMetrics;
}): RecordFailureHandler {
  return async (failures) => {
    for (const { record, error, retriable, reason } of failures) {
      deps.metrics.recordFailures.inc({ topic: record.topic, reason });
      deps.logger.error(
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
          ? 'record failed: holding its batch until it applies (no retry topic yet)'
          : 'record skipped: it can never be applied (no dead-letter queue yet)',
      );
    }
    const retriable = failures.filter((failure) => failure.retriable);
    if (retriable.length > 0) {
      throw new Error(
        `${retriable.length} record(s) failed retriably; holding the batch uncommitted`,
        { cause: retriable[0]?.error },
      );
    }
  };
}

/** Classifies an error thrown while decoding or handling a record. */
export function toRecordFailure(record: ConsumedRecord, thrown: unknown): RecordFailure {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const marked = error as Error & { retriable?: unknown; reason?: unknown };
  return {
    record,
    error,
    retriable: marked.retriable !== false,
    reason: typeof marked.reason === 'string' ? marked.reason : error.name,
  };
}
