import type { DeadLetter, DeadLetterStore } from './dead-letter-store.ts';
import type { RetryMetrics } from './metrics.ts';
import type { RecordRunner } from './retry-job.ts';
import type { RetryState } from './retry-state.ts';

export type ReplayResult =
  | { outcome: 'not-found' }
  | { outcome: 'already-replayed'; deadLetter: DeadLetter }
  | { outcome: 'replayed'; deadLetter: DeadLetter }
  | { outcome: 'failed'; deadLetter: DeadLetter; errorName: string; errorMessage: string };

/**
 * An operator's replay: re-runs the dead letter's original handler now, in this group's
 * process. On success it leaves the list; on failure it stays listed, one attempt and one
 * history entry richer: a replay never drops a message. Infrastructure failures (Redis down)
 * reject and change nothing.
 */
export async function replayDeadLetter(
  deps: {
    store: DeadLetterStore;
    run: RecordRunner;
    state: RetryState;
    metrics?: RetryMetrics;
    now?: () => Date;
  },
  id: string,
): Promise<ReplayResult> {
  const now = deps.now ?? (() => new Date());
  const letter = await deps.store.get(id);
  if (!letter) return { outcome: 'not-found' };
  if (letter.status === 'replayed') return { outcome: 'already-replayed', deadLetter: letter };
  const attempt = letter.attempts + 1;
  const outcome = await deps.run(
    { topic: letter.topic, key: letter.key, value: letter.value, headers: letter.headers },
    attempt,
  );
  const at = now().toISOString();
  if (outcome.ok) {
    await deps.store.markReplayed(id, { at, action: 'replayed', attempt });
    await deps.state.count('replayed');
    deps.metrics?.replayed('replayed');
    return { outcome: 'replayed', deadLetter: (await deps.store.get(id)) ?? letter };
  }
  const { error } = outcome.failure;
  await deps.store.recordReplayFailure(id, {
    at,
    action: 'replay-failed',
    attempt,
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
