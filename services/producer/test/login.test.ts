import { waitFor } from '@kafka-ecs/testing';
import { decodeJwt, jwtVerify } from 'jose';
import type { PasswordHasher } from '../src/domain/ports.ts';
import {
  CREATE_USER,
  capturedLogs,
  codeOf,
  countingHasher,
  LOGIN,
  newUser,
  proxiedRedis,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';

const fullWidth = (text: string) =>
  [...text]
    .map((c) => (/[!-~]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c))
    .join('');

/** The hasher, with a hook that runs after a verification the password passed. */
const afterVerified =
  (hook: () => Promise<void>) =>
  (inner: PasswordHasher): PasswordHasher => ({
    ...inner,
    hash: (password) => inner.hash(password),
    needsRehash: (hash) => inner.needsRehash(hash),
    async verify(password, hash) {
      const verified = await inner.verify(password, hash);
      if (verified) await hook();
      return verified;
    },
  });

describe('login', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const started = async (producer: Promise<TestProducer>) => {
    const running = await producer;
    cleanups.push(() => running.close());
    return running;
  };
  const createUser = async (producer: TestProducer) => {
    const input = newUser();
    const { body } = await producer.graphql(CREATE_USER, { input });
    expect(body.errors).toBeUndefined();
    return { ...input, id: body.data.createUser.id as string };
  };

  it('when a login succeeds, then its token is for the consumer read API: HS256, typ JWT, issuer producer-svc, audience consumer-read-api', async () => {
    const producer = await started(startTestProducer());
    const ada = await createUser(producer);
    const { body } = await producer.graphql(LOGIN, {
      username: ada.username,
      password: ada.password,
    });
    expect(body.errors).toBeUndefined();
    // Verified as the consumer verifies it (bearer-authenticator.ts), audience included.
    const { payload, protectedHeader } = await jwtVerify(
      body.data.login.token,
      new TextEncoder().encode('test-secret-that-is-at-least-32-characters'),
      {
        algorithms: ['HS256'],
        issuer: 'producer-svc',
        audience: 'consumer-read-api',
        typ: 'JWT',
        requiredClaims: ['sub', 'exp', 'aud', 'jti'],
      },
    );
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect({ sub: payload.sub, aud: payload.aud }).toEqual({
      sub: ada.id,
      aud: 'consumer-read-api',
    });
  });

  it('when the username comes in another case, width or with padding, then it logs in as the stored user, and its failures count for that user', async () => {
    const producer = await started(startTestProducer({ settings: { loginMaxFailures: 3 } }));
    const ada = await createUser(producer);
    for (const variant of [
      ada.username.toUpperCase(),
      fullWidth(ada.username),
      ` ${ada.username} `,
    ]) {
      const { body } = await producer.graphql(LOGIN, { username: variant, password: ada.password });
      expect({ variant, errors: body.errors, user: body.data?.login.user }).toEqual({
        variant,
        errors: undefined,
        user: { id: ada.id, username: ada.username },
      });
    }
    // The throttle and the store agree: three failures under variants lock the stored name.
    for (const variant of [ada.username.toUpperCase(), fullWidth(ada.username), ada.username]) {
      const { body } = await producer.graphql(LOGIN, {
        username: variant,
        password: 'wrong password',
      });
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
    }
    const locked = await producer.graphql(LOGIN, {
      username: ada.username,
      password: ada.password,
    });
    expect(codeOf(locked.body)).toBe('TOO_MANY_REQUESTS');
  });

  it('when Redis fails after the password was verified, then the login still answers a token, and the failed re-hash and count reset are logged without secrets', async () => {
    const legacy = await started(startTestProducer({ settings: { passwordHash: 'scrypt' } }));
    const ada = await createUser(legacy);
    const { proxy, url } = await proxiedRedis();
    cleanups.push(() => proxy.close());
    const logs = capturedLogs();
    const newHashes: string[] = [];
    let cutAfterVerify = false;
    const current: TestProducer = await started(
      startTestProducer({
        redisUrl: url,
        // Another setting than the user's hash, so the login re-hashes.
        settings: { passwordHash: 'argon2id', redisKeyPrefix: legacy.keyPrefix },
        logger: logs.logger,
        wrapHasher: (inner) =>
          afterVerified(async () => {
            if (!cutAfterVerify) return;
            // Redis goes away between the verification and the follow-up work, for real.
            await proxy.cut();
            await waitFor(() => current.redis.status !== 'ready', {
              timeoutMs: 5_000,
              description: 'the client sees Redis gone',
            });
          })({
            ...inner,
            hash: async (password) => {
              const hash = await inner.hash(password);
              newHashes.push(hash);
              return hash;
            },
          }),
      }),
    );
    await current.untilConnected();
    const storedHash = async () => {
      const record = await legacy.redis.get(`${legacy.keyPrefix}user:${ada.id}`);
      return (JSON.parse(record ?? '{}') as { passwordHash: string }).passwordHash;
    };
    const scryptHash = await storedHash();
    expect(scryptHash).toMatch(/^scrypt\$/);
    for (let i = 0; i < 2; i++) {
      const { body } = await current.graphql(LOGIN, {
        username: ada.username,
        password: 'nope-nope',
      });
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
    }

    cutAfterVerify = true;
    const { body } = await current.graphql(LOGIN, {
      username: ada.username,
      password: ada.password,
    });
    expect(body.errors).toBeUndefined();
    expect(decodeJwt(body.data.login.token).sub).toBe(ada.id);

    await proxy.restore();
    // Both follow-ups failed: the count is still there (two failures and this login) and the
    // hash is still the old one; the next login tries again.
    const failuresKey = `${legacy.keyPrefix}login-failures:${ada.username}`;
    expect(await legacy.redis.get(failuresKey)).toBe('3');
    expect(await storedHash()).toBe(scryptHash);
    const warnings = logs
      .messages()
      .filter((line) => line.msg.startsWith('could not'))
      .map((line) => ({ msg: line.msg, logsTheError: line.err !== undefined }));
    expect(warnings).toEqual(
      expect.arrayContaining([
        {
          msg: 'could not clear the failed-login count; it expires with its window',
          logsTheError: true,
        },
        { msg: 'could not re-hash the password; kept the old hash', logsTheError: true },
      ]),
    );
    const secrets = [ada.password, scryptHash, ...newHashes];
    expect(newHashes.length).toBeGreaterThan(1);
    expect(logs.lines.filter((line) => secrets.some((secret) => line.includes(secret)))).toEqual(
      [],
    );

    // With Redis back, the next login does both.
    await current.untilConnected();
    cutAfterVerify = false;
    const again = await current.graphql(LOGIN, { username: ada.username, password: ada.password });
    expect(again.body.errors).toBeUndefined();
    expect(await storedHash()).toMatch(/^\$argon2id\$/);
    expect(await legacy.redis.exists(failuresKey)).toBe(0);
  });

  it('when Redis hangs after the password was verified, then the login answers within the follow-up bound, and the late failure is still logged', async () => {
    const { proxy, url } = await proxiedRedis();
    cleanups.push(async () => {
      proxy.release();
      await proxy.close();
    });
    const logs = capturedLogs();
    let holdAfterVerify: string | undefined;
    let held: Promise<void> | undefined;
    const producer: TestProducer = await started(
      startTestProducer({
        redisUrl: url,
        settings: { loginFollowUpBoundMs: 300 },
        logger: logs.logger,
        wrapHasher: afterVerified(async () => {
          // Redis runs what it is sent from here on but its answers are kept back: the reset
          // (DEL of the username's count) hangs until the client's 2 s command timeout.
          if (holdAfterVerify) held = proxy.holdAnswersAfter(holdAfterVerify, 10_000);
        }),
      }),
    );
    await producer.untilConnected();
    const ada = await createUser(producer);
    const credentials = { username: ada.username, password: ada.password };
    // A first login connects the Kafka producer, so the timed one measures the login alone.
    expect((await producer.graphql(LOGIN, credentials)).body.errors).toBeUndefined();

    holdAfterVerify = ada.username;
    const { body } = await producer.graphql(LOGIN, credentials);
    expect(body.errors).toBeUndefined();
    expect(decodeJwt(body.data.login.token).sub).toBe(ada.id);
    // The answer came at the bound (300 ms), not after the command timeout (2 s): when it
    // arrived, the bound had been logged and the reset's failure had not happened yet.
    const atAnswer = logs.messages().map((line) => line.msg);
    expect(atAnswer).toContain(
      'login follow-up work (throttle reset, re-hash) still running; answering without it',
    );
    expect(atAnswer).not.toContain(
      'could not clear the failed-login count; it expires with its window',
    );
    await held;
    // The work went on after the answer and its failure is logged, not lost or unhandled.
    await waitFor(
      () =>
        logs
          .messages()
          .some(
            (line) =>
              line.msg === 'could not clear the failed-login count; it expires with its window',
          ),
      { timeoutMs: 5_000, description: 'the late reset failure logged' },
    );
  });
});

describe('the dummy hash for unknown usernames', () => {
  it('when the service starts, then the dummy hash is made before any login, and an unknown username only verifies against it', async () => {
    const counting = countingHasher();
    const producer = await startTestProducer({ wrapHasher: counting.wrap });
    try {
      expect(counting.counts).toEqual({ hash: 1, verify: 0 });
      const { body } = await producer.graphql(LOGIN, {
        username: 'nobody-by-this-name',
        password: 'whatever1',
      });
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
      expect(counting.counts).toEqual({ hash: 1, verify: 1 });
    } finally {
      await producer.close();
    }
  });

  it('when the dummy hash cannot be computed, then the start fails and says so', async () => {
    const failing = (inner: PasswordHasher): PasswordHasher => ({
      ...inner,
      hash: async () => {
        throw new Error('out of memory for the KDF');
      },
    });
    const start = startTestProducer({ wrapHasher: failing });
    await expect(start).rejects.toThrow(
      'could not compute the dummy password hash that logins of unknown usernames verify against',
    );
    await expect(start).rejects.toHaveProperty('cause.message', 'out of memory for the KDF');
  });
});
