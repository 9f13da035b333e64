import { GraphQLError } from 'graphql';
import type { SubscriptionEnd } from '../subscriber-bound.ts';
import type { Caller } from './bearer-authenticator.ts';

/** What a GraphQL operation knows about its caller (over HTTP and over WebSocket alike). */
export interface GraphqlContext {
  caller: Caller;
}

const unauthenticated = (caller: Caller) =>
  new GraphQLError(
    caller.kind === 'none'
      ? 'user data needs Authorization: Bearer <token>'
      : 'the bearer token is invalid or has expired',
    { extensions: { code: 'UNAUTHENTICATED' } },
  );

const forbidden = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });

/** `user(id)`: an operator reads anyone, a user only itself. Checked before anything is read. */
export function authorizeUserRead(caller: Caller, userId: string): void {
  if (caller.kind === 'operator') return;
  if (caller.kind !== 'user') throw unauthenticated(caller);
  if (caller.userId !== userId) throw forbidden('a login token reads its own user only');
}

/** `users`: operators only. */
export function authorizeUserList(caller: Caller): void {
  if (caller.kind === 'operator') return;
  if (caller.kind !== 'user') throw unauthenticated(caller);
  throw forbidden('listing users needs an operator token');
}

/**
 * `userNotification`: which notifications (a user's view hash, `id` its user id) the caller
 * receives; throws when it may subscribe to none. A user's subscription ends (UNAUTHENTICATED)
 * at the first notification after its token expired, so a socket does not outlive the token.
 */
export function notificationFilter(
  caller: Caller,
  now: () => number = Date.now,
): (notification: { id: string }) => boolean {
  if (caller.kind === 'operator') return () => true;
  if (caller.kind !== 'user') throw unauthenticated(caller);
  const { userId, expiresAt } = caller;
  return (notification) => {
    if (now() >= expiresAt.getTime()) throw unauthenticated({ kind: 'invalid' });
    return notification.id === userId;
  };
}

/**
 * When a login token's subscription ends, whatever is published: at the token's expiry, with
 * UNAUTHENTICATED. (The filter above ends it at the first notification after the expiry; on a
 * quiet system that could be never, and the socket outlived its token.) None for an operator.
 */
export function tokenExpiry(caller: Caller): SubscriptionEnd | undefined {
  if (caller.kind !== 'user') return undefined;
  return { at: caller.expiresAt, error: () => unauthenticated({ kind: 'invalid' }) };
}
