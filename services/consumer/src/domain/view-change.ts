import type { UserView } from './user-view.ts';

/**
 * What applying one event does to the view, decided by the event's handler and written by the
 * view store. Both kinds commute with each other, so a user's `issued-token` events (another
 * topic, so no ordering with `new-user-created`) may arrive before the user exists.
 */
export type ViewChange = ProfileChange | TokenIssuedChange;

/** The user's profile, as created; timestamps normalised to `Date#toISOString`. */
export interface ProfileChange {
  kind: 'profile';
  userId: string;
  profile: Omit<UserView, 'tokensIssued' | 'lastTokenIssuedAt'>;
}

/** One more token for the user; `lastTokenIssuedAt` keeps the latest `issuedAt` seen. */
export interface TokenIssuedChange {
  kind: 'token-issued';
  userId: string;
  issuedAt: string;
}

/** A change tagged with the event it comes from: the store applies each event id once. */
export interface EventChange {
  eventId: string;
  eventType: string;
  change: ViewChange;
}
