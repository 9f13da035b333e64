import { KafkaEcsError } from '@kafka-ecs/errors';
import { InvalidCursorError } from './dead-letter-store.ts';
import type { RedisClient } from './redis-client.ts';

export type DeadLetterAuditAction = 'replay' | 'bulk-replay' | 'discard';

/** One operator action on dead letters, as the audit keeps it. */
export interface DeadLetterAuditEntry {
  /** The entry's position in the audit (a Redis stream id): also its cursor. */
  id: string;
  /** ISO 8601, UTC. */
  at: string;
  /** The operator named by the token (`admin`, an OPERATOR_TOKENS name), never the token. */
  actor: string;
  action: DeadLetterAuditAction;
  deadLetterIds: string[];
  dryRun: boolean;
  /** What happened, in words: `replayed`, `failed: …`, `matched 3, replayed 2, failed 1`. */
  outcome: string;
  /** A discard's reason. */
  reason?: string;
  /** A bulk replay's filter, as JSON. */
  filter?: string;
}

export interface DeadLetterAuditPage {
  nodes: DeadLetterAuditEntry[];
  endCursor: string | null;
  hasNextPage: boolean;
  totalCount: number;
}

export interface DeadLetterAudit {
  record(entry: Omit<DeadLetterAuditEntry, 'id'>): Promise<DeadLetterAuditEntry>;
  /** Newest first. Rejects a cursor it did not issue with InvalidCursorError. */
  page(page: { first: number; after?: string | null }): Promise<DeadLetterAuditPage>;
}

export class AuditWriteError extends KafkaEcsError {}

/**
 * Entries kept. A bulk replay names at most its limit's maximum of ids (500, ~20 KB), so the
 * audit stays under ~100 MB even at worst; a typical entry is a few hundred bytes.
 * @defaultValue 5_000
 */
export const AUDIT_MAX_ENTRIES = 5_000;

/**
 * The operators' audit trail of one consumer group: a Redis stream (so it survives restarts
 * with Redis, and every instance writes the same one), capped at `maxEntries` by XADD's MAXLEN:
 * the oldest entries go first. Stream ids order the entries and are stable cursors.
 */
export function createDeadLetterAudit(deps: {
  redis: RedisClient;
  key: string;
  maxEntries?: number;
}): DeadLetterAudit {
  const { redis, key } = deps;
  const maxEntries = deps.maxEntries ?? AUDIT_MAX_ENTRIES;
  return {
    async record(entry) {
      const fields = ['entry', JSON.stringify(entry)];
      const id = await redis.xadd(key, 'MAXLEN', String(maxEntries), '*', ...fields);
      if (id === null) throw new AuditWriteError('the audit stream refused the entry');
      return { id, ...entry };
    },
    async page({ first, after }) {
      if (after != null && !/^\d+-\d+$/.test(after)) {
        throw new InvalidCursorError('after is not a cursor returned by deadLetterAudit');
      }
      const upper = after == null ? '+' : `(${after}`;
      const [rows, totalCount] = await Promise.all([
        redis.xrevrange(key, upper, '-', 'COUNT', first + 1),
        redis.xlen(key),
      ]);
      const nodes = rows.slice(0, first).map(([id, fields]) => ({
        id,
        ...(JSON.parse(fields[1] as string) as Omit<DeadLetterAuditEntry, 'id'>),
      }));
      return {
        nodes,
        endCursor: nodes.at(-1)?.id ?? null,
        hasNextPage: rows.length > first,
        totalCount,
      };
    },
  };
}
