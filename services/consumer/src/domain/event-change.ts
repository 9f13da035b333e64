import { decodeEvent } from '@kafka-ecs/events';
import { type EventHandlers, type HandlerContext, handleEvent } from './handlers/index.ts';
import type { EventChange } from './view-change.ts';

/**
 * A record's value → its event → the change its handler makes to the view, the one step the
 * live batch, a retry and a replay share. Throws what decoding (EventDecodeError, never worth
 * retrying) or the handler throws.
 */
export function eventChangeOf(
  handlers: EventHandlers,
  value: Buffer | null,
  context: HandlerContext,
): EventChange {
  const event = decodeEvent(value);
  return {
    eventId: event.id,
    eventType: event.type,
    change: handleEvent(handlers, event, context),
  };
}
