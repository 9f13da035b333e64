import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client.ts';

/**
 * Advances a chain's attempt count once per failure, whatever is delivered twice.
 *
 * KEYS: 1 the chain's state hash
 * ARGV: 1 failed attempts the record reports, 2 the record's own coordinates, 3 expiry in ms
 * Returns 1 when this record advances the chain (or is the same record again after a crash,
 * whose step must be redone), 0 when it is a duplicate of a failure already counted.
 */
const CLAIM_SCRIPT = `
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
local owner = redis.call('HGET', KEYS[1], 'owner')
local attempt = tonumber(ARGV[1])
if attempt < attempts or (attempt == attempts and owner ~= ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'attempts', attempt, 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

export interface AttemptClaim {
  key: string;
  attempt: number;
  ref: string;
  expireMs: number;
}

export interface RetryStats {
  /** Retries scheduled as delayed jobs. */
  scheduled: number;
  /** Retry jobs run (whatever their outcome). */
  retried: number;
  /** Retries that applied the record. */
  succeeded: number;
  deadLettered: number;
  replayed: number;
}

const DONE = Number.MAX_SAFE_INTEGER;
const DONE_EXPIRY_MS = 60 * 60 * 1000;

const STAT_FIELDS = ['scheduled', 'retried', 'succeeded', 'deadLettered', 'replayed'] as const;

export interface RetryState {
  /** The state key of a chain: a hash of (original topic, value bytes), never the key. */
  keyOf(originalTopic: string, value: Buffer | null): string;
  /**
   * Records that `attempt` failed attempts happened, reported by the record at `ref`. False
   * when that failure was already counted through another record (a duplicate to skip).
   */
  claim(key: string, attempt: number, ref: string, expireMs: number): Promise<boolean>;
  /** `claim` for many records in one round trip, in order; one verdict each. */
  claimAll(claims: AttemptClaim[]): Promise<boolean[]>;
  /** The chain ended in success: its count is cleared (a short-lived "done" mark remains). */
  clear(key: string): Promise<void>;
  /** The attempts recorded for a chain (0 when none). */
  attempts(key: string): Promise<number>;
  /**
   * The chain has moved past `attempt`: a later failure is counted, or it succeeded. A job for
   * that attempt would only run the handler again.
   */
  isPast(key: string, attempt: number): Promise<boolean>;
  count(stat: (typeof STAT_FIELDS)[number], by?: number): Promise<void>;
  stats(): Promise<RetryStats>;
}

/**
 * Attempt counts in Redis, one small hash per failure chain. A count expires on its own once no
 * retry of it can still be pending (the next delay plus a margin), so nothing needs pruning; a
 * retry that outlives its count (a consumer down for hours) still knows its attempt from the
 * record's `x-attempt` header.
 */
type ClaimingRedis = RedisClient & {
  claimRetryAttempt(key: string, attempt: number, ref: string, expireMs: number): Promise<number>;
};

export function createRetryState(deps: { redis: RedisClient; prefix: string }): RetryState {
  const { redis } = deps;
  redis.defineCommand('claimRetryAttempt', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  const statsKey = `${deps.prefix}:stats`;
  const claimAll = async (claims: AttemptClaim[]): Promise<boolean[]> => {
    if (claims.length === 0) return [];
    // One command per chain, sent at once (not a pipeline: a cluster refuses one whose keys sit
    // on different nodes). Nothing may be decided on a claim Redis did not answer: the first
    // error rejects, and the batch is held and retried.
    const replies = await Promise.all(
      claims.map(({ key, attempt, ref, expireMs }) =>
        (redis as ClaimingRedis).claimRetryAttempt(key, attempt, ref, Math.ceil(expireMs)),
      ),
    );
    return replies.map((result) => result === 1);
  };

  return {
    keyOf(originalTopic, value) {
      const hash = createHash('sha256')
        .update(originalTopic)
        .update('\0')
        .update(value ?? Buffer.alloc(0))
        .digest('hex');
      return `${deps.prefix}:attempts:${hash}`;
    },
    async claim(key, attempt, ref, expireMs) {
      const [claimed] = await claimAll([{ key, attempt, ref, expireMs }]);
      return claimed === true;
    },
    claimAll,
    async clear(key) {
      // Not deleted: a late duplicate of an earlier failure (a job run twice) must not start a
      // new chain for an event already applied. An attempt count no failure can reach skips
      // them all until it expires.
      await redis
        .multi()
        .hset(key, 'attempts', DONE, 'owner', 'done')
        .pexpire(key, DONE_EXPIRY_MS)
        .exec();
    },
    async attempts(key) {
      const attempts = Number((await redis.hget(key, 'attempts')) ?? 0);
      return attempts === DONE ? 0 : attempts;
    },
    async isPast(key, attempt) {
      return Number((await redis.hget(key, 'attempts')) ?? 0) > attempt;
    },
    async count(stat, by = 1) {
      await redis.hincrby(statsKey, stat, by);
    },
    async stats() {
      const values = await redis.hmget(statsKey, ...STAT_FIELDS);
      return Object.fromEntries(
        STAT_FIELDS.map((field, index) => [field, Number(values[index] ?? 0)]),
      ) as unknown as RetryStats;
    },
  };
}
