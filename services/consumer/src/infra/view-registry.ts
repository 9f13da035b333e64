import { KafkaEcsError } from '@kafka-ecs/errors';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-view-store.ts';
import { legacyRegistryKeys, viewKeys } from './view-keys.ts';

/** Which views exist for readers and for the live consumer. */
export interface ViewTargets {
  /** The view readers see and notifications come from. */
  active: string;
  /** The views every applied event is written to (includes `active`). */
  writing: string[];
}

/** The registry as `initialize` found it. */
export interface OpenedViews extends ViewTargets {
  /** No registry existed: this call made the first view (a new deployment, or a lost one). */
  created: boolean;
}

export interface ViewRegistry {
  /** Creates the first view (`v1`) unless one exists; safe to run on every start. */
  initialize(): Promise<OpenedViews>;
  /** Rejects with ViewRegistryMissingError when there is no registry (Redis lost its data). */
  targets(): Promise<ViewTargets>;
  /** Allocates a fresh view and has the live consumer write to it from now on. */
  beginRebuild(): Promise<string>;
  /** Readers switch to `view`; the live consumer stops writing to the previous one. */
  activate(view: string): Promise<{ previous: string }>;
  /** Gives up a rebuild: the live consumer stops writing to `view`. */
  abandon(view: string): Promise<void>;
  /** Records that the active view was lost (see `viewKeys().lost`), unless already recorded. */
  markLost(at: Date): Promise<void>;
  /** Whether the registry was made and not yet checked for a lost view (`viewKeys().unverified`). */
  unverified(): Promise<boolean>;
  /** The check is done: `unverified` no more. */
  verified(): Promise<void>;
  /** When the active view was found lost, or null: a rebuild's activation clears it. */
  lostSince(): Promise<string | null>;
}

export class RebuildInProgressError extends KafkaEcsError {}

/** No registry in Redis: never initialized here, or Redis came back without its data. */
export class ViewRegistryMissingError extends KafkaEcsError {}

/** A rebuilt view that is no longer in the writing set: its rebuild cannot be trusted. */
export class RebuildInterruptedError extends KafkaEcsError {}

// Readers switch to the rebuilt view only while the live consumer still writes it: a registry
// lost and made again during the rebuild no longer lists it, and the view lacks what the live
// consumer applied meanwhile. A view rebuilt from the topics is whole: neither lost nor left to
// check. Returns the previous active view, or false (nil to the client).
const ACTIVATE = `
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return false end
local previous = redis.call('GET', KEYS[1]) or ARGV[1]
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4])
return previous`;

// Atomic so two instances starting at once agree on the first view, and only one of them is
// told it created it.
const INITIALIZE = `
local active = redis.call('GET', KEYS[1])
local created = 0
if not active then
  active = 'v' .. redis.call('INCR', KEYS[3])
  redis.call('SET', KEYS[1], active)
  redis.call('SET', KEYS[4], '1')
  created = 1
end
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('SADD', KEYS[2], active) end
return created`;

export function createViewRegistry(deps: { redis: RedisClient; prefix: string }): ViewRegistry {
  const { redis } = deps;
  const keys = viewKeys(deps.prefix);

  const targets = async (): Promise<ViewTargets> => {
    const [active, writing] = await Promise.all([
      redis.get(keys.active),
      redis.smembers(keys.writing),
    ]);
    if (!active) {
      throw new ViewRegistryMissingError(`view registry under ${deps.prefix} is not initialized`);
    }
    return { active, writing: writing.length > 0 ? writing.sort() : [active] };
  };

  return {
    async initialize() {
      await adoptLegacyKeys(deps.redis, deps.prefix);
      const created = await redis.eval(
        INITIALIZE,
        4,
        keys.active,
        keys.writing,
        keys.sequence,
        keys.unverified,
      );
      return { ...(await targets()), created: created === 1 };
    },
    targets,
    async beginRebuild() {
      const current = await targets();
      if (current.writing.length > 1) {
        throw new RebuildInProgressError(
          `a rebuild is already writing to ${current.writing.filter((v) => v !== current.active).join(', ')}`,
        );
      }
      const view = `v${await redis.incr(keys.sequence)}`;
      await redis.sadd(keys.writing, view);
      return view;
    },
    async activate(view) {
      const previous = await redis.eval(
        ACTIVATE,
        4,
        keys.active,
        keys.writing,
        keys.lost,
        keys.unverified,
        view,
      );
      if (previous === null) {
        throw new RebuildInterruptedError(
          `${view} is no longer being written (Redis lost the registry during the rebuild?): ` +
            'it may lack what was applied before; start the rebuild again',
        );
      }
      return { previous: String(previous) };
    },
    async abandon(view) {
      await redis.srem(keys.writing, view);
    },
    async markLost(at) {
      await redis.set(keys.lost, at.toISOString(), 'NX');
    },
    lostSince: () => redis.get(keys.lost),
    async unverified() {
      return (await redis.exists(keys.unverified)) === 1;
    },
    async verified() {
      await redis.del(keys.unverified);
    },
  };
}

/**
 * A single Redis upgraded from before the registry's keys had a hash tag: its keys move to the new
 * names (RENAMENX, so a second instance starting at once, or a later start, changes nothing).
 * Without it the registry would start again at `v1`. A cluster never had the old names.
 */
async function adoptLegacyKeys(redis: RedisClient, prefix: string): Promise<void> {
  if (redis instanceof Cluster) return;
  const legacy = legacyRegistryKeys(prefix);
  const keys = viewKeys(prefix);
  for (const name of ['sequence', 'writing', 'active'] as const) {
    if ((await redis.exists(legacy[name])) === 1) {
      await redis.renamenx(legacy[name], keys[name]).catch((error: Error) => {
        // Gone meanwhile: another instance moved it first.
        if (!/no such key/i.test(error.message)) throw error;
      });
    }
  }
}
