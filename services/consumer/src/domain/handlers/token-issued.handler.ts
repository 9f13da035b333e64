import type { IssuedTokenEvent } from '@kafka-ecs/events';
import { normalInstant } from '../instant.ts';
import type { TokenIssuedChange } from '../view-change.ts';

/** `issued-token` → one more token for the user, and the latest issue time. */
export function tokenIssuedHandler(event: IssuedTokenEvent): TokenIssuedChange {
  return {
    kind: 'token-issued',
    userId: event.data.userId,
    // Normalised so the store can compare instants as strings.
    issuedAt: normalInstant(event.data.issuedAt),
  };
}
