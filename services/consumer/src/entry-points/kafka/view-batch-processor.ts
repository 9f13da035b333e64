import type { BatchHandler } from '@kafka-ecs/kafka';
import { eventChangeOf } from '../../domain/event-change.ts';
import type { EventHandlers } from '../../domain/handlers/index.ts';
import type { ConsumerMetrics } from '../../infra/metrics.ts';
import type { ChangeToApply, ViewStore, WriteTarget } from '../../infra/redis-view-store.ts';
import {
  type RecordFailure,
  type RecordFailureHandler,
  toRecordFailure,
} from './record-failure.ts';

const FIRST_RUN = { attempt: 1 };

/**
 * The hot path: decode every record of the batch, turn each event into its view change through
 * the handler map, write all changes in one Redis round trip, then hand the records that failed
 * to the failure seam. Resolves once the view writes are durable, with the failure path's records
 * for the batch consumer to write in one transaction with the batch's commit.
 */
export function createViewBatchProcessor(deps: {
  handlers: EventHandlers;
  store: ViewStore;
  /** Asked once per batch: the live consumer follows the registry, a replay writes one view. */
  target: () => Promise<WriteTarget>;
  onRecordFailure: RecordFailureHandler;
  metrics: ConsumerMetrics;
}): BatchHandler {
  const { metrics } = deps;
  return async (batch) => {
    const stopTimer = metrics.batchDuration.startTimer({ topic: batch.topic });
    // The first record by offset: with one producer also the oldest; several producers' clocks
    // need not rise with the offset.
    const first = Number(batch.records[0]?.timestamp);
    if (Number.isFinite(first)) {
      // Clocks of two hosts can disagree by a little: never a negative wait.
      metrics.batchWait.observe({ topic: batch.topic }, Math.max(0, Date.now() - first) / 1_000);
    }
    const stopDecode = metrics.batchStage.startTimer({ topic: batch.topic, stage: 'decode' });
    const changes: ChangeToApply[] = [];
    const sources: RecordFailure['record'][] = [];
    const failures: RecordFailure[] = [];
    for (const record of batch.records) {
      try {
        const { eventId, eventType, change } = eventChangeOf(
          deps.handlers,
          record.value,
          FIRST_RUN,
        );
        // The record is its own position (topic, partition, offset): no copy kept per change.
        changes.push({ eventId, eventType, change, position: record });
        sources.push(record);
      } catch (error) {
        failures.push(toRecordFailure(record, error));
      }
    }
    stopDecode();
    const stopApply = metrics.batchStage.startTimer({ topic: batch.topic, stage: 'apply' });
    const outcomes = await deps.store.apply(changes, await deps.target());
    stopApply();
    // Counted once a batch per type: prom-client hashes a call's labels, ~80 ns an event.
    const applied = new Map<string, number>();
    const duplicates = new Map<string, number>();
    outcomes.forEach((outcome, index) => {
      const { eventType } = changes[index] as ChangeToApply;
      if (outcome === 'applied') applied.set(eventType, (applied.get(eventType) ?? 0) + 1);
      else if (outcome === 'duplicate')
        duplicates.set(eventType, (duplicates.get(eventType) ?? 0) + 1);
      else failures.push(toRecordFailure(sources[index] as RecordFailure['record'], outcome));
    });
    for (const [type, count] of applied) metrics.eventsApplied.inc({ type }, count);
    for (const [type, count] of duplicates) metrics.eventsDuplicate.inc({ type }, count);
    const produce = failures.length > 0 ? await deps.onRecordFailure(failures) : [];
    metrics.batchSize.observe(batch.records.length);
    stopTimer();
    return { produce };
  };
}
