import type { DeadLetterStore } from './dead-letter-store.ts';
import type { RetryMetrics } from './metrics.ts';
import type { ReplayLock } from './replay-lock.ts';

export type DiscardResult =
  | { outcome: 'discarded' }
  | { outcome: 'not-found' }
  /** Replayed or discarded before: nothing was done. */
  | { outcome: 'already-gone'; status: 'replayed' | 'discarded' }
  /** A replay or discard of it is running (any instance): nothing was done. */
  | { outcome: 'in-progress' };

/**
 * An operator's discard: the dead letter leaves the list (kept 30 days with its history, like a
 * replayed one) and stays on the dead-letter topic; nothing is run. Under the same lock as a
 * replay, so a dead letter is never both replayed and discarded.
 */
export async function discardDeadLetter(
  deps: { store: DeadLetterStore; lock: ReplayLock; metrics?: RetryMetrics; now?: () => Date },
  request: { id: string; actor: string; reason: string },
): Promise<DiscardResult> {
  const now = deps.now ?? (() => new Date());
  const locked = await deps.lock.withLock(request.id, async (): Promise<DiscardResult> => {
    const letter = await deps.store.get(request.id);
    if (!letter) return { outcome: 'not-found' };
    if (letter.status !== 'dead') return { outcome: 'already-gone', status: letter.status };
    await deps.store.markDiscarded(request.id, {
      at: now().toISOString(),
      action: 'discarded',
      attempt: letter.attempts,
      actor: request.actor,
      note: request.reason,
    });
    deps.metrics?.discarded();
    return { outcome: 'discarded' };
  });
  return locked.acquired ? locked.value : { outcome: 'in-progress' };
}
