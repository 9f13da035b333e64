import { randomUUID } from 'node:crypto';
import { KafkaEcsError } from '@kafka-ecs/errors';
import { createEvent } from '@kafka-ecs/events';
import type { Logger } from 'pino';
import { HashingOverloadedError, InvalidCredentialsError } from './errors.ts';
import type {
  Clock,
  EventPublisher,
  LoginThrottle,
  PasswordHasher,
  PublicUser,
  StoredUser,
  ThrottledAttempt,
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
  /**
   * How long an answer waits for the work that follows a verified password (clearing the
   * throttle count, re-hashing an old hash) before it goes out without it.
   * @defaultValue 1000
   */
  followUpBoundMs?: number;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: PublicUser;
}

export type Login = (username: string, password: string) => Promise<LoginResult>;

const DUMMY_PASSWORD = 'dummy password for timing';

/**
 * Checks the credentials, signs a token and answers once Kafka acknowledged `issued-token`; if
 * the publish fails the token is never handed out.
 * - The attempt is counted against the username before anything else, so a throttled login
 *   costs no lookup and no hash, and a burst of concurrent guesses gets no more tries than a
 *   sequence would (a check before the hash and a count after it would let the burst through).
 * - A missing user costs one hash at the current setting (of a dummy password, hashed here,
 *   before the service starts: it cannot fail later, on some user's login), so the answer's
 *   timing does not tell which usernames exist.
 * - A verification refused because the service is too busy (HashingOverloadedError) gives the
 *   attempt back: no password was tested.
 * - After a verified password, clearing the count and re-hashing a hash that is not the current
 *   setting's are best-effort: a failure is logged and the login still succeeds (the count
 *   expires with its window, the next login re-hashes). They are awaited, caught, for at most
 *   `followUpBoundMs`: awaited so that they usually run inside the request (a shutdown drains
 *   them with it, and a burst of logins mostly waits for its own hashes), bounded so that a
 *   Redis that hangs delays an answer by that much at most; past the bound the work goes on
 *   detached and its failure is still logged.
 */
export async function loginUseCase(deps: LoginDeps): Promise<Login> {
  const dummyHash = await deps.hasher.hash(DUMMY_PASSWORD).catch((error: unknown) => {
    throw new KafkaEcsError(
      'could not compute the dummy password hash that logins of unknown usernames verify against',
      { cause: error },
    );
  });
  const followUpBoundMs = deps.followUpBoundMs ?? 1_000;
  return async function login(username, password) {
    const attempt = await deps.throttle.consume(username);
    const user = password.length <= 1024 ? await deps.store.findByUsername(username) : undefined;
    const hash = user?.passwordHash ?? dummyHash;
    const verified = await verifyOrRefund(deps, { username, attempt }, password, hash);
    if (!user || !verified) throw new InvalidCredentialsError();
    await followUps(deps, user, password, followUpBoundMs);
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

/**
 * Verifies the password; when the service is too busy to (HashingOverloadedError), the attempt
 * counted for the username is given back before the error goes on: it tested no password, and a
 * user retrying through a burst must not lock themselves out.
 */
async function verifyOrRefund(
  deps: LoginDeps,
  counted: { username: string; attempt: ThrottledAttempt },
  password: string,
  hash: string,
) {
  try {
    return await deps.hasher.verify(password, hash);
  } catch (error) {
    if (error instanceof HashingOverloadedError) {
      await deps.throttle
        .refund(counted.username, counted.attempt)
        .catch((refundError: unknown) => {
          deps.logger.warn(
            { err: refundError },
            'could not give back a login attempt refused as busy',
          );
        });
    }
    throw error;
  }
}

/** The best-effort work after a verified password; never throws, waits at most `boundMs`. */
async function followUps(deps: LoginDeps, user: StoredUser, password: string, boundMs: number) {
  // Logged with the error and the user id only: never the password, nor a hash.
  const logFailure = (what: string) => (error: unknown) => {
    deps.logger.warn({ err: error, userId: user.id }, what);
  };
  const work = [
    deps.throttle
      .reset(user.username)
      .catch(logFailure('could not clear the failed-login count; it expires with its window')),
  ];
  if (deps.hasher.needsRehash(user.passwordHash)) {
    work.push(
      deps.hasher
        .hash(password)
        .then((passwordHash) => deps.store.updatePasswordHash(user, passwordHash))
        .then(() => {}, logFailure('could not re-hash the password; kept the old hash')),
    );
  }
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), boundMs);
  });
  const outcome = await Promise.race([Promise.all(work), bound]);
  clearTimeout(timer);
  if (outcome === 'late') {
    // The work goes on and logs its own failure; the answer does not wait for it any longer.
    deps.logger.warn(
      { userId: user.id, boundMs },
      'login follow-up work (throttle reset, re-hash) still running; answering without it',
    );
  }
}
