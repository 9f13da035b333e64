import { createHash } from 'node:crypto';
import type { RedisClient } from '@kafka-ecs/service-kit';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DependencyUnavailableError, TooManyLoginAttemptsError } from '../domain/errors.ts';
import type { LoginThrottle } from '../domain/ports.ts';
import { normalizeUsername } from '../domain/username.ts';

export interface LoginThrottleSettings {
  keyPrefix: string;
  maxFailures: number;
  windowSeconds: number;
}

// A name that could be a username (the createUser rule, after normalizing as the store's lookup
// does) is its own key, so an operator can find and clear it; anything else is hashed, so no
// input can make a long key.
const USERNAME_SHAPE = /^[a-z0-9._-]{1,64}$/;
const keyOf = (username: string) => {
  const normalized = normalizeUsername(username);
  return USERNAME_SHAPE.test(normalized)
    ? normalized
    : `#${createHash('sha256').update(normalized).digest('base64url')}`;
};

/**
 * Takes one attempt back from the window that counted it, while it still counts: never from one
 * cleared meanwhile (no key, or a count of 0), nor from a later window (it has more time left
 * than the attempt's window had: ARGV[1] ms, with 100 ms of slack). The limiter's own `reward`
 * would start a window at -1, a credit that adds up over windows into more tries in one than
 * LOGIN_MAX_FAILURES. DECR keeps the expiry.
 */
const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]))
if count and count > 0 and redis.call('PTTL', KEYS[1]) <= tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
end
return 0`;
const REFUND_SLACK_MS = 100;

/**
 * rate-limiter-flexible's Redis limiter, a fixed window per username: the first counted attempt
 * starts a window of `windowSeconds` (one atomic script: SET NX EX, INCRBY), and once it holds
 * more than `maxFailures` attempts every further one is refused until the window's key expires.
 * Refused attempts count too but never extend the window. No insurance limiter: when Redis
 * fails the login fails (SERVICE_UNAVAILABLE) instead of going unthrottled. Every command is on
 * one key (the scripts, DEL), so a Redis Cluster needs nothing more: the limiter defines its script
 * on a Cluster as on a Redis, and `rejectIfRedisNotReady` reads the Cluster's own status.
 */
export function createRedisLoginThrottle(
  redis: RedisClient,
  settings: LoginThrottleSettings,
): LoginThrottle {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${settings.keyPrefix}login-failures`,
    points: settings.maxFailures,
    duration: settings.windowSeconds,
    // Refuse at once while disconnected instead of waiting for a command timeout.
    rejectIfRedisNotReady: true,
  });
  // defineCommand sends EVALSHA and reloads the script after a Redis restart (NOSCRIPT), as the
  // user store's scripts do: refunds come in bursts, when hashing is overloaded.
  redis.defineCommand('refundLoginAttempt', { numberOfKeys: 1, lua: REFUND });
  const refunding = redis as RedisClient & {
    refundLoginAttempt(key: string, leftMs: string): Promise<number>;
  };
  return {
    async consume(username) {
      try {
        const counted = await limiter.consume(keyOf(username));
        return { windowEndsAtMs: Date.now() + counted.msBeforeNext };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          throw new TooManyLoginAttemptsError(
            Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
          );
        }
        throw new DependencyUnavailableError('redis', { cause: rejection });
      }
    },
    async refund(username, attempt) {
      const leftMs = Math.max(0, attempt.windowEndsAtMs - Date.now()) + REFUND_SLACK_MS;
      try {
        await refunding.refundLoginAttempt(limiter.getKey(keyOf(username)), String(leftMs));
      } catch (error) {
        throw new DependencyUnavailableError('redis', { cause: error });
      }
    },
    async reset(username) {
      try {
        await limiter.delete(keyOf(username));
      } catch (error) {
        throw new DependencyUnavailableError('redis', { cause: error });
      }
    },
  };
}
