import type { DomainEvent, NewUserCreatedEvent } from '@kafka-ecs/events';

/**
 * What the outside may see of a user: exactly the data of its `new-user-created` event, which
 * createUser publishes as is. The event's schema is strict, so a field added to the user must
 * be added to the event; the type says so at compile time instead of at the first publish.
 */
export type PublicUser = NewUserCreatedEvent['data'];

/** A user as the producer stores it. Only `passwordHash` is secret; it never leaves the store. */
export interface StoredUser extends PublicUser {
  passwordHash: string;
}

/**
 * Users in Redis, created in two steps around the publish (see docs/architecture.md):
 * `reserve` holds the username and the pending record for a while, `commit` makes them
 * permanent, `release` gives them up. Failures throw DependencyUnavailableError('redis').
 */
export interface UserStore {
  /** false when the username is taken (committed or reserved by another request). */
  reserve(user: StoredUser, ttlMs: number): Promise<boolean>;
  /**
   * Makes the user permanent; called once its event is out, so a reservation that is gone
   * (expired, or lost with a failed primary) is taken again: `restored`. When another user
   * holds the username by then, nothing is written: `name-taken` once committed, or
   * `name-reserved` while that other request's reservation lasts (it may still be released).
   */
  commit(user: StoredUser): Promise<CommitOutcome>;
  release(user: StoredUser): Promise<void>;
  /**
   * Committed users only: a reservation is not a user yet. The username may come in any form
   * normalizeUsername maps to the stored one (case, width, padding), as the throttle counts it.
   */
  findByUsername(username: string): Promise<StoredUser | undefined>;
  /**
   * Replaces a committed user's password hash and nothing else, only while it is still
   * `user.passwordHash` (a concurrent change wins); false when it was not replaced. The
   * username is part of the user's key on a Redis Cluster (its hash tag), so it is needed too.
   */
  updatePasswordHash(
    user: Pick<StoredUser, 'id' | 'username' | 'passwordHash'>,
    passwordHash: string,
  ): Promise<boolean>;
}

export type CommitOutcome = 'committed' | 'restored' | 'name-taken' | 'name-reserved';

/** Publishes an event keyed by `key` and resolves once Kafka acknowledged it. */
export interface EventPublisher {
  publish(event: DomainEvent, key: string): Promise<void>;
}

export interface PasswordHasher {
  /** A new hash at the current algorithm and parameters, which it carries with its salt. */
  hash(password: string): Promise<string>;
  /** Timing-safe; false for a wrong password or a hash it cannot read. */
  verify(password: string, hash: string): Promise<boolean>;
  /** Whether a stored hash was made otherwise than `hash` would make it now. */
  needsRehash(hash: string): boolean;
}

/**
 * Failed logins per username. Failures throw DependencyUnavailableError('redis'): an outage
 * refuses logins rather than letting them through unthrottled.
 */
export interface LoginThrottle {
  /**
   * Counts a login attempt before its password is checked; throws TooManyLoginAttemptsError
   * once the username's failures reached the limit within the window.
   */
  consume(username: string): Promise<ThrottledAttempt>;
  /**
   * Gives back an attempt that checked no password (the service was too busy to hash it), to the
   * window that counted it only: never to a window that ended or was cleared since.
   */
  refund(username: string, attempt: ThrottledAttempt): Promise<void>;
  /** Forgets the username's count (after a successful login). */
  reset(username: string): Promise<void>;
}

/** An attempt the throttle counted: when the window that counted it ends. */
export interface ThrottledAttempt {
  windowEndsAtMs: number;
}

export interface TokenIssuer {
  issue(claims: {
    userId: string;
    tokenId: string;
    issuedAt: Date;
    expiresAt: Date;
  }): Promise<string>;
}

export interface Clock {
  now(): Date;
}
