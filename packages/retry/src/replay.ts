import type { DeadLetter, DeadLetterStore } from './dead-letter-store.ts';
import type { Logger } from './logger.ts';
import type { RetryMetrics } from './metrics.ts';
import type { ReplayLock } from './replay-lock.ts';
import type { RecordRunner } from './retry-job.ts';
import type { RetryState } from './retry-state.ts';

export type ReplayResult =
  | { outcome: 'not-found' }
  | { outcome: 'already-replayed'; deadLetter: DeadLetter }
  /** Another replay or discard of it is running (any instance): nothing was done. */
  | { outcome: 'in-progress' }
  /** Discarded by an operator: nothing was done. */
  | { outcome: 'discarded'; deadLetter: DeadLetter }
  | { outcome: 'replayed'; deadLetter: DeadLetter }
  | { outcome: 'failed'; deadLetter: DeadLetter; errorName: string; errorMessage: string }
  /** A dry run: listed, so a replay would run its handler; nothing was done. */
  | { outcome: 'would-replay'; deadLetter: DeadLetter };

/**
 * What a replay of the dead letter would do, without doing it: the replay reads the status
 * through this too (under its lock). A dry run takes no lock: another replay may be running
 * meanwhile, which the replay itself would report.
 */
export async function previewReplay(
  store: Pick<DeadLetterStore, 'get'>,
  id: string,
): Promise<ReplayResult> {
  const letter = await store.get(id);
  if (!letter) return { outcome: 'not-found' };
  if (letter.status === 'replayed') return { outcome: 'already-replayed', deadLetter: letter };
  if (letter.status === 'discarded') return { outcome: 'discarded', deadLetter: letter };
  return { outcome: 'would-replay', deadLetter: letter };
}

/**
 * An operator's replay: re-runs the dead letter's original handler now, in this group's
 * process. On success it leaves the list; on failure it stays listed, one attempt and one
 * history entry richer: a replay never drops a message. Infrastructure failures (Redis down)
 * reject and change nothing. Single flight: under the dead letter's lock, and its status is read
 * once the lock is held, so a replay that just finished elsewhere is not run again.
 */
export async function replayDeadLetter(
  deps: {
    store: DeadLetterStore;
    run: RecordRunner;
    state: RetryState;
    lock: ReplayLock;
    metrics?: RetryMetrics;
    /** Told of bookkeeping after a replay that Redis refused (the replay itself stands). */
    logger?: Pick<Logger, 'warn'>;
    now?: () => Date;
  },
  id: string,
  actor: string,
): Promise<ReplayResult> {
  const locked = await deps.lock.withLock(id, () => replayLocked(deps, id, actor));
  return locked.acquired ? locked.value : { outcome: 'in-progress' };
}

async function replayLocked(
  deps: Parameters<typeof replayDeadLetter>[0],
  id: string,
  actor: string,
): Promise<ReplayResult> {
  const now = deps.now ?? (() => new Date());
  const preview = await previewReplay(deps.store, id);
  if (preview.outcome !== 'would-replay') return preview;
  const letter = preview.deadLetter;
  const attempt = letter.attempts + 1;
  const outcome = await deps.run(
    { topic: letter.topic, key: letter.key, value: letter.value, headers: letter.headers },
    attempt,
  );
  const at = now().toISOString();
  if (outcome.ok) {
    await deps.store.markReplayed(id, { at, action: 'replayed', attempt, actor });
    // Done from here (applied, off the list): the stats counter and the re-read are bookkeeping,
    // and a Redis that refuses them now must not report the replay failed, nor stop a bulk run.
    // The metric still counts it.
    const unrecorded = (step: string) => (error: unknown) => {
      deps.logger?.warn({ err: error, deadLetter: id, step }, 'replayed; bookkeeping not written');
      return null;
    };
    await deps.state.count('replayed').catch(unrecorded('stats counter'));
    deps.metrics?.replayed('replayed');
    const replayed = await deps.store.get(id).catch(unrecorded('re-read'));
    return { outcome: 'replayed', deadLetter: replayed ?? letter };
  }
  const { error } = outcome.failure;
  await deps.store.recordReplayFailure(id, {
    at,
    action: 'replay-failed',
    attempt,
    actor,
    errorName: error.name,
    errorMessage: error.message.slice(0, 1_000),
  });
  deps.metrics?.replayed('failed');
  return {
    outcome: 'failed',
    deadLetter: (await deps.store.get(id)) ?? letter,
    errorName: error.name,
    errorMessage: error.message,
  };
}
