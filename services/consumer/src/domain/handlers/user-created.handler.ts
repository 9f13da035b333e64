import type { NewUserCreatedEvent } from '@kafka-ecs/events';
import { normalInstant } from '../instant.ts';
import type { ProfileChange } from '../view-change.ts';

/** `new-user-created` → the user's profile in the view. */
export function userCreatedHandler(event: NewUserCreatedEvent): ProfileChange {
  const { data } = event;
  return {
    kind: 'profile',
    userId: data.id,
    profile: {
      id: data.id,
      username: data.username,
      email: data.email,
      firstName: data.firstName,
      lastName: data.lastName,
      // One spelling of each instant, so the users index sorts by time.
      createdAt: normalInstant(data.createdAt),
    },
  };
}
