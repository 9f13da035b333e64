import type { DomainEvent, EventType } from '@kafka-ecs/events';
import type { ViewChange } from '../../../domain/view-change.ts';
import { tokenIssuedHandler } from './token-issued.handler.ts';
import { userCreatedHandler } from './user-created.handler.ts';

/** Turns one event into its change to the view; throws when the event cannot be applied. */
export type EventHandler<Event extends DomainEvent = DomainEvent> = (event: Event) => ViewChange;

/** One handler per event type; the type system insists every known type has one. */
export type EventHandlers = {
  [Type in EventType]: EventHandler<Extract<DomainEvent, { type: Type }>>;
};

export const eventHandlers: EventHandlers = {
  'new-user-created': userCreatedHandler,
  'issued-token': tokenIssuedHandler,
};

/** Runs the handler registered for the event's type. */
export function handleEvent(handlers: EventHandlers, event: DomainEvent): ViewChange {
  // The map is keyed by the same union the event is discriminated by.
  const handler = handlers[event.type] as EventHandler;
  return handler(event);
}
