import type { RecordRunner } from '@kafka-ecs/retry';
import { eventChangeOf } from '../../domain/event-change.ts';
import type { EventHandlers } from '../../domain/handlers/index.ts';
import type { EventChange } from '../../domain/view-change.ts';
import type { ConsumerMetrics } from '../../infra/metrics.ts';
import type { ViewStore, WriteTarget } from '../../infra/redis-view-store.ts';
import { classifyError } from '../kafka/record-failure.ts';

/**
 * A retry's or a replay's run of one record: the same decode → handler → view write as the live
 * path, for one record, as attempt `attempt`. A view write Redis could not take rejects (an
 * outage: the caller tries again later); the handler's own failures are returned.
 */
export function createRecordRunner(deps: {
  handlers: EventHandlers;
  store: ViewStore;
  target: () => Promise<WriteTarget>;
  metrics: ConsumerMetrics;
}): RecordRunner {
  return async (record, attempt) => {
    let change: EventChange;
    try {
      change = eventChangeOf(deps.handlers, record.value, { attempt });
    } catch (error) {
      return { ok: false, failure: classifyError(error) };
    }
    // No position: a retry's record is not its source's, so the event id is what dedupes it.
    const [outcome] = await deps.store.apply([{ ...change, position: null }], await deps.target());
    if (outcome instanceof Error) return { ok: false, failure: classifyError(outcome) };
    if (outcome === 'applied') deps.metrics.eventsApplied.inc({ type: change.eventType });
    else deps.metrics.eventsDuplicate.inc({ type: change.eventType });
    return { ok: true };
  };
}
