import { randomUUID } from 'node:crypto';
import { createEvent } from '@kafka-ecs/events';
import type { Logger } from 'pino';
import { UsernameTakenError } from './errors.ts';
import type {
  Clock,
  EventPublisher,
  PasswordHasher,
  PublicUser,
  StoredUser,
  UserStore,
} from './ports.ts';
import type { UserCommits } from './user-commits.ts';
import { type CreateUserInput, parseCreateUserInput } from './user-input.ts';

export interface CreateUserDeps {
  store: UserStore;
  publisher: EventPublisher;
  hasher: PasswordHasher;
  clock: Clock;
  logger: Logger;
  /** How long the username stays reserved while the event is published. */
  reservationTtlMs: number;
  /** The commit once the event is out, which outlives the request if it must. */
  commits: Pick<UserCommits, 'commit'>;
}

/**
 * Creates a user and answers only once Kafka acknowledged its `new-user-created` event, without
 * ever leaving half a user behind (docs/architecture.md, "Consistency"):
 * 1. reserve the username with the complete pending record, under a TTL;
 * 2. publish the event; if Kafka fails, release the reservation: no user, no event;
 * 3. commit (make the record permanent). The reservation outlives the publish and then the
 *    caller's commit attempts (USERNAME_RESERVATION_TTL_MS' bound), so the commit finds it; past
 *    them the commit goes on in the background (user-commits.ts).
 */
export function createUserUseCase(deps: CreateUserDeps) {
  return async function createUser(input: CreateUserInput): Promise<PublicUser> {
    const valid = parseCreateUserInput(input);
    const user: StoredUser = {
      id: randomUUID(),
      username: valid.username,
      email: valid.email,
      firstName: valid.firstName || null,
      lastName: valid.lastName || null,
      createdAt: deps.clock.now().toISOString(),
      passwordHash: await deps.hasher.hash(valid.password),
    };
    const { passwordHash, ...publicUser } = user;
    // Built (and validated against the event schema) before anything is written.
    const event = createEvent('new-user-created', publicUser, { occurredAt: deps.clock.now() });

    if (!(await reserveOrRelease(deps, user))) throw new UsernameTakenError();
    try {
      await deps.publisher.publish(event, user.id);
    } catch (error) {
      await releaseQuietly(deps, user);
      throw error;
    }
    await deps.commits.commit(user, event.id);
    return publicUser;
  };
}

/**
 * Reserves the username. A reserve that failed may still have been done (Redis ran it after the
 * client's bound): it is released, so the caller's retry does not find its own name taken for
 * the reservation's TTL. The release removes only this request's reservation.
 */
async function reserveOrRelease(deps: CreateUserDeps, user: StoredUser): Promise<boolean> {
  try {
    return await deps.store.reserve(user, deps.reservationTtlMs);
  } catch (error) {
    await releaseQuietly(deps, user);
    throw error;
  }
}

/** Gives up this request's reservation; a failure is logged, never thrown. */
async function releaseQuietly(deps: CreateUserDeps, user: StoredUser): Promise<void> {
  await deps.store.release(user).catch((releaseError: unknown) => {
    // The reservation expires by itself; until then the username merely looks taken.
    deps.logger.warn({ err: releaseError, userId: user.id }, 'could not release reservation');
  });
}
