import type { DomainEvent, EventType } from '@kafka-ecs/events';
import type { ViewChange } from '../view-change.ts';
import { tokenIssuedHandler } from './token-issued.handler.ts';
import { userCreatedHandler } from './user-created.handler.ts';

/** Which run this is: 1 for the first delivery, n + 1 for the n-th retry or replay. */
export interface HandlerContext {
  attempt: number;
}

/**
 * Turns one event into its change to the view; throws when the event cannot be applied (an
 * error with `retriable: false` goes to the dead-letter queue at once, any other is retried).
 */
export type EventHandler<Event extends DomainEvent = DomainEvent> = (
  event: Event,
  context: HandlerContext,
) => ViewChange;

/** One handler per event type; the type system insists every known type has one. */
export type EventHandlers = {
  [Type in EventType]: EventHandler<Extract<DomainEvent, { type: Type }>>;
};

export const eventHandlers: EventHandlers = {
  'new-user-created': userCreatedHandler,
  'issued-token': tokenIssuedHandler,
};

/** Runs the handler registered for the event's type. */
export function handleEvent(
  handlers: EventHandlers,
  event: DomainEvent,
  context: HandlerContext,
): ViewChange {
  // The map is keyed by the same union the event is discriminated by.
  const handler = handlers[event.type] as EventHandler;
  return handler(event, context);
}
