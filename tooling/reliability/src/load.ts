import { randomBytes } from 'node:crypto';
import { type GraphqlResult, graphql, outcomeOf, waitFor } from '@kafka-ecs/testing';

/** One mutation the load sent, and how it ended. */
export interface MutationRecord {
  kind: 'createUser' | 'login';
  /** ms since the load started. */
  startedAt: number;
  ms: number;
  /** `acknowledged`, or why not: a GraphQL error code, a network failure, TIMEOUT. */
  outcome: string;
  userId?: string;
  /** The token id of an acknowledged login. */
  tokenId?: string;
}

/**
 * What the clients know: every mutation sent, and for the acknowledged ones the ids of the
 * events they stand for (the user id of a createUser, the token id (`jti`) of a login).
 */
export interface Ledger {
  records: MutationRecord[];
  /** Acknowledged users, by id. */
  users: Map<string, { username: string; password: string; logins: number }>;
  /** Acknowledged logins: token id → user id. */
  tokens: Map<string, string>;
}

export interface LoadOptions {
  /** The producer's base URL (asked before every mutation, so it may move). */
  producerUrl: () => string;
  /** Mutations started per second. @defaultValue 40 */
  ratePerSecond?: number;
  /** Most mutations in flight at once. @defaultValue 8 */
  concurrency?: number;
  /** The load stops by itself after this many. @defaultValue 3000 */
  maxMutations?: number;
  /** Logins per created user before a new user is created. @defaultValue 4 */
  loginsPerUser?: number;
  /** Client bound on one mutation. @defaultValue 10_000 */
  timeoutMs?: number;
  /**
   * The username of the n-th user created (lowercase, 3-64 of a-z 0-9 . _ -), e.g. to make some
   * of them match FAULT_INJECT_USERNAME_PATTERN. @defaultValue r<run tag>-<n>
   */
  username?: (n: number) => string;
}

export interface Load {
  ledger: Ledger;
  /** ms since the load started: the clock of `MutationRecord.startedAt`. */
  now(): number;
  /** Mutations that started at or after `from` and ended by `to` (default: now). */
  between(from: number, to?: number): MutationRecord[];
  /** Mutations sent and not answered yet. */
  inFlight(): number;
  /** Waits until `count` more mutations were acknowledged than when called. */
  waitForMoreAcks(count: number, timeoutMs?: number): Promise<void>;
  /** Stops for good and waits for those in flight; resolves with the ledger. */
  stop(): Promise<Ledger>;
}

const CREATE_USER = `mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const LOGIN = `mutation ($username: String!, $password: String!) {
  login(username: $username, password: $password) { token user { id } }
}`;

/**
 * The token id (`jti`) and user id (`sub`) of a login token, read from its payload; undefined
 * when it is not a JWT with both.
 */
export function tokenClaims(token: string): { tokenId: string; userId: string } | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      jti?: unknown;
      sub?: unknown;
    };
    const { jti, sub } = payload;
    return typeof jti === 'string' && typeof sub === 'string'
      ? { tokenId: jti, userId: sub }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A steady stream of mutations, the way users would send them: new users, then logins of users
 * the producer acknowledged. Bounded in rate, concurrency and volume, and every outcome is
 * written to the ledger.
 */
export function startLoad(options: LoadOptions): Load {
  const rate = options.ratePerSecond ?? 40;
  const concurrency = options.concurrency ?? 8;
  const maxMutations = options.maxMutations ?? 3_000;
  const loginsPerUser = options.loginsPerUser ?? 4;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const ledger: Ledger = { records: [], users: new Map(), tokens: new Map() };
  const origin = performance.now();
  const inFlight = new Set<Promise<void>>();
  let acknowledged = 0;
  let stopped = false;
  let runSeq = 0;
  const runTag = randomBytes(3).toString('hex');

  const pickLogin = () => {
    for (const [userId, user] of ledger.users) {
      if (user.logins < loginsPerUser) return { userId, user };
    }
    return undefined;
  };

  const send = async () => {
    const startedAt = performance.now() - origin;
    const candidate = Math.random() < 0.8 ? pickLogin() : undefined;
    let result: GraphqlResult<Record<string, unknown>>;
    const record: MutationRecord = { kind: 'createUser', startedAt, ms: 0, outcome: '' };
    if (candidate) {
      record.kind = 'login';
      record.userId = candidate.userId;
      // Counted when sent, so concurrent logins of one user stay within the bound.
      candidate.user.logins += 1;
      result = await graphql(
        `${options.producerUrl()}/producer-svc/graphql`,
        LOGIN,
        { username: candidate.user.username, password: candidate.user.password },
        { timeoutMs },
      );
      const token = (result.data?.login as { token?: unknown } | undefined)?.token;
      const claims = typeof token === 'string' && !result.errors ? tokenClaims(token) : undefined;
      if (claims) {
        record.tokenId = claims.tokenId;
        ledger.tokens.set(claims.tokenId, candidate.userId);
      }
    } else {
      runSeq += 1;
      const username = options.username?.(runSeq) ?? `r${runTag}-${runSeq}`;
      const password = randomBytes(6).toString('hex');
      result = await graphql(
        `${options.producerUrl()}/producer-svc/graphql`,
        CREATE_USER,
        { input: { username, email: `${username}@example.com`, password } },
        { timeoutMs },
      );
      const id = (result.data?.createUser as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string' && id && !result.errors) {
        record.userId = id;
        ledger.users.set(id, { username, password, logins: 0 });
      }
    }
    // Acknowledged means the answer carries what success promises (a user id, a token): a 200
    // from something else on the port is not an acknowledgement.
    const answered = record.kind === 'login' ? record.tokenId : record.userId;
    const outcome = outcomeOf(result);
    record.ms = result.ms;
    record.outcome =
      outcome !== 'OK' ? outcome : answered !== undefined ? 'acknowledged' : 'NOT_AN_ANSWER';
    if (record.outcome === 'acknowledged') acknowledged += 1;
    ledger.records.push(record);
  };

  const intervalMs = 1000 / rate;
  let started = 0;
  const timer = setInterval(() => {
    if (stopped || inFlight.size >= concurrency || started >= maxMutations) return;
    started += 1;
    const task = send().finally(() => inFlight.delete(task));
    inFlight.add(task);
  }, intervalMs);

  const now = () => performance.now() - origin;
  return {
    ledger,
    now,
    between: (from, to = now()) =>
      ledger.records.filter((r) => r.startedAt >= from && r.startedAt + r.ms <= to),
    inFlight: () => inFlight.size,
    async waitForMoreAcks(count, waitMs = 30_000) {
      const target = acknowledged + count;
      await waitFor(() => acknowledged >= target || started >= maxMutations, {
        timeoutMs: waitMs,
        intervalMs: 50,
        description: `${count} more acknowledged mutations (at ${acknowledged} of ${target})`,
      });
      if (acknowledged < target) {
        throw new Error(`the load reached its bound of ${maxMutations} mutations first`);
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      return ledger;
    },
  };
}
