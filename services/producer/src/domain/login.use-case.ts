import { randomUUID } from 'node:crypto';
import { createEvent } from '@kafka-ecs/events';
import { InvalidCredentialsError } from './errors.ts';
import type {
  Clock,
  EventPublisher,
  PasswordHasher,
  PublicUser,
  TokenIssuer,
  UserStore,
} from './ports.ts';

export interface LoginDeps {
  store: UserStore;
  publisher: EventPublisher;
  hasher: PasswordHasher;
  tokens: TokenIssuer;
  clock: Clock;
  tokenTtlSeconds: number;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: PublicUser;
}

/**
 * Checks the credentials, signs a token and answers once Kafka acknowledged `issued-token`; if
 * the publish fails the token is never handed out. A missing user costs one hash of a dummy
 * password, so the answer's timing does not tell which usernames exist.
 */
export function loginUseCase(deps: LoginDeps) {
  let dummyHash: Promise<string> | undefined;
  return async function login(username: string, password: string): Promise<LoginResult> {
    const user = password.length <= 1024 ? await deps.store.findByUsername(username) : undefined;
    if (!user) {
      dummyHash ??= deps.hasher.hash('dummy password for timing');
      await deps.hasher.verify(password, await dummyHash);
      throw new InvalidCredentialsError();
    }
    if (!(await deps.hasher.verify(password, user.passwordHash))) {
      throw new InvalidCredentialsError();
    }
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
