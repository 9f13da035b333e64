import { KafkaEcsError } from '@kafka-ecs/errors';
import {
  BulkReplayInterruptedError,
  type BulkReplayOptions,
  type BulkReplayResult,
  bulkReplay,
  InvalidBulkReplayError,
} from './bulk-replay.ts';
import type {
  DeadLetterAudit,
  DeadLetterAuditAction,
  DeadLetterAuditEntry,
} from './dead-letter-audit.ts';
import type { DeadLetterFilter, DeadLetterStore } from './dead-letter-store.ts';
import { type DiscardResult, discardDeadLetter } from './discard.ts';
import type { Logger } from './logger.ts';
import type { RetryMetrics } from './metrics.ts';
import { previewReplay, type ReplayResult } from './replay.ts';
import type { ReplayLock } from './replay-lock.ts';

/** Bad operator input other than bulk-replay options (a discard without a reason). */
export class InvalidOperatorInputError extends KafkaEcsError {}

/** Why a bulk replay stopped early when its service did. */
export class ServiceStoppingError extends KafkaEcsError {}

export const MAX_DISCARD_REASON_LENGTH = 500;

/**
 * What operators do to dead letters, from GraphQL and `pnpm dlq` alike. Every call is audited
 * (dry runs and refusals by state too) and logged with its actor, the name the operator's token
 * carries.
 */
export interface DeadLetterOperations {
  /**
   * With `dryRun`, says what a replay would do (`would-replay` when listed) and runs nothing;
   * audited all the same.
   */
  replay(actor: string, id: string, options?: { dryRun?: boolean }): Promise<ReplayResult>;
  replayMany(
    actor: string,
    filter: DeadLetterFilter,
    options: BulkReplayOptions,
  ): Promise<BulkReplayResult>;
  discard(actor: string, id: string, reason: string): Promise<DiscardResult>;
  audit: DeadLetterAudit['page'];
  /**
   * The service is stopping: bulk replays take no more dead letters and answer with how far
   * they got, audited, so a shutdown does not wait up to their 50 s. Single replays finish.
   */
  interrupt(): void;
}

export function createDeadLetterOperations(deps: {
  store: DeadLetterStore;
  audit: DeadLetterAudit;
  lock: ReplayLock;
  /** The single-flight replay of one dead letter, as `actor`. */
  replay: (id: string, actor: string) => Promise<ReplayResult>;
  logger: Logger;
  metrics?: RetryMetrics;
  /** Pacing of bulk replays (tests pass a clock that moves only when slept on). */
  sleep?: (ms: number) => Promise<unknown>;
  clock?: () => number;
  now?: () => Date;
}): DeadLetterOperations {
  const now = deps.now ?? (() => new Date());
  const stopping = new AbortController();

  /** Runs an action, then audits and logs its outcome; a failure is audited as an error too. */
  async function audited<T>(
    entry: { actor: string; action: DeadLetterAuditAction; ids: string[]; dryRun: boolean },
    extra: Pick<DeadLetterAuditEntry, 'reason' | 'filter'>,
    work: () => Promise<T>,
    describe: (value: T) => { outcome: string; ids?: string[] },
  ): Promise<T> {
    let value: T;
    let outcome: string;
    let ids = entry.ids;
    try {
      value = await work();
      const described = describe(value);
      outcome = described.outcome;
      ids = described.ids ?? ids;
    } catch (error) {
      // Input refused before anything was done is the caller's to read, not the audit's.
      if (
        !(error instanceof InvalidOperatorInputError || error instanceof InvalidBulkReplayError)
      ) {
        // A bulk replay cut short by an outage says how far it got and which ids it had taken.
        const partial = error instanceof BulkReplayInterruptedError ? error.result : undefined;
        const cause = (partial ? (error as Error).cause : error) as Error;
        const done = partial
          ? `replayed ${partial.replayed}, failed ${partial.failed}, skipped ${partial.skipped}, then `
          : '';
        // Best effort: the same outage may keep the audit from being written; the log has it.
        await write(
          { ...entry, ids: partial?.ids ?? ids },
          extra,
          `${done}error: ${cause.name}`,
        ).catch((auditError) =>
          deps.logger.error(
            { err: auditError, actor: entry.actor, action: entry.action },
            'dead-letter operation not audited',
          ),
        );
      }
      throw error;
    }
    // The work is done: an audit that cannot be written (the same Redis outage) must not turn
    // it into an error for the caller. The log line keeps who did what instead.
    await write({ ...entry, ids }, extra, outcome).catch((auditError: unknown) =>
      deps.logger.error(
        { err: auditError, actor: entry.actor, action: entry.action, deadLetters: ids, outcome },
        'dead-letter operation not audited',
      ),
    );
    return value;
  }

  async function write(
    entry: { actor: string; action: DeadLetterAuditAction; ids: string[]; dryRun: boolean },
    extra: Pick<DeadLetterAuditEntry, 'reason' | 'filter'>,
    outcome: string,
  ) {
    const recorded = await deps.audit.record({
      at: now().toISOString(),
      actor: entry.actor,
      action: entry.action,
      deadLetterIds: entry.ids,
      dryRun: entry.dryRun,
      outcome,
      ...extra,
    });
    deps.logger.info(
      {
        actor: entry.actor,
        action: entry.action,
        deadLetters: entry.ids.length > 10 ? entry.ids.length : entry.ids,
        dryRun: entry.dryRun,
        outcome,
        auditId: recorded.id,
      },
      'dead-letter operation',
    );
  }

  return {
    replay: (actor, id, options = {}) => {
      const dryRun = options.dryRun ?? false;
      return audited(
        { actor, action: 'replay', ids: [id], dryRun },
        {},
        () => (dryRun ? previewReplay(deps.store, id) : deps.replay(id, actor)),
        (result) => {
          const outcome =
            result.outcome === 'failed'
              ? `failed: ${result.errorName}: ${result.errorMessage.slice(0, 200)}`
              : result.outcome;
          return { outcome: dryRun ? `dry run: ${outcome}` : outcome };
        },
      );
    },

    replayMany: (actor, filter, options) =>
      audited(
        { actor, action: 'bulk-replay', ids: [], dryRun: options.dryRun ?? true },
        { filter: JSON.stringify(filter) },
        () =>
          bulkReplay(
            {
              store: deps.store,
              replay: (id) => deps.replay(id, actor),
              sleep: deps.sleep,
              now: deps.clock,
              signal: stopping.signal,
            },
            filter,
            options,
          ),
        (result) => ({
          ids: result.ids,
          outcome: result.dryRun
            ? `dry run: matched ${result.matched}, would replay ${result.ids.length}`
            : `matched ${result.matched}, replayed ${result.replayed}, failed ${result.failed}, skipped ${result.skipped}`,
        }),
      ),

    discard: (actor, id, reason) => {
      const trimmed = reason.trim();
      if (trimmed.length === 0 || trimmed.length > MAX_DISCARD_REASON_LENGTH) {
        return Promise.reject(
          new InvalidOperatorInputError(
            `reason must be 1 to ${MAX_DISCARD_REASON_LENGTH} characters of text`,
          ),
        );
      }
      return audited(
        { actor, action: 'discard', ids: [id], dryRun: false },
        { reason: trimmed },
        () =>
          discardDeadLetter(
            { store: deps.store, lock: deps.lock, metrics: deps.metrics, now },
            { id, actor, reason: trimmed },
          ),
        (result) => ({
          outcome: result.outcome === 'already-gone' ? `already ${result.status}` : result.outcome,
        }),
      );
    },

    audit: (page) => deps.audit.page(page),

    interrupt: () => stopping.abort(new ServiceStoppingError('the service is stopping')),
  };
}
