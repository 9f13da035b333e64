import { randomUUID } from 'node:crypto';
import { createEvent } from '@kafka-ecs/events';
import type { Logger } from 'pino';
import { InvalidCredentialsError } from './errors.ts';
import type {
  Clock,
  EventPublisher,
  LoginThrottle,
  PasswordHasher,
  PublicUser,
  StoredUser,
  TokenIssuer,
  UserStore,
} from './ports.ts';

export interface LoginDeps {
  store: UserStore;
  publisher: EventPublisher;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  tokenTtlSeconds: number;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: PublicUser;
}

/**
 * Checks the credentials, signs a token and answers once Kafka acknowledged `issued-token`; if
 * the publish fails the token is never handed out.
 * - The attempt is counted against the username before anything else, so a throttled login
 *   costs no lookup and no hash, and a burst of concurrent guesses gets no more tries than a
 *   sequence would (a check before the hash and a count after it would let the burst through).
 *   A successful login clears the count.
 * - A missing user costs one hash at the current setting (of a dummy password, hashed once at
 *   start), so the answer's timing does not tell which usernames exist.
 * - A correct password whose stored hash is not the current setting's is hashed again and the
 *   new hash stored; if that fails the login still succeeds and the next one tries again.
 */
export function loginUseCase(deps: LoginDeps) {
  const dummyHash = deps.hasher.hash('dummy password for timing');
  // Awaited on the first unknown user; until then a failure must not be unhandled.
  dummyHash.catch(() => {});
  return async function login(username: string, password: string): Promise<LoginResult> {
    await deps.throttle.consume(username);
    const user = password.length <= 1024 ? await deps.store.findByUsername(username) : undefined;
    if (!user) {
      await deps.hasher.verify(password, await dummyHash);
      throw new InvalidCredentialsError();
    }
    if (!(await deps.hasher.verify(password, user.passwordHash))) {
      throw new InvalidCredentialsError();
    }
    await deps.throttle.reset(username);
    if (deps.hasher.needsRehash(user.passwordHash)) await rehash(deps, user, password);
    const issuedAt = deps.clock.now();
    const expiresAt = new Date(issuedAt.getTime() + deps.tokenTtlSeconds * 1000);
    const tokenId = randomUUID();
    const token = await deps.tokens.issue({ userId: user.id, tokenId, issuedAt, expiresAt });
    const event = createEvent(
      'issued-token',
      {
        userId: user.id,
        tokenId,
        issuedAt: issuedAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
      },
      { occurredAt: issuedAt },
    );
    await deps.publisher.publish(event, user.id);
    const { passwordHash, ...publicUser } = user;
    return { token, expiresAt: expiresAt.toISOString(), user: publicUser };
  };
}

async function rehash(deps: LoginDeps, user: StoredUser, password: string): Promise<void> {
  try {
    await deps.store.updatePasswordHash(user, await deps.hasher.hash(password));
  } catch (error) {
    deps.logger.warn(
      { err: error, userId: user.id },
      'could not re-hash the password; kept the old hash',
    );
  }
}
