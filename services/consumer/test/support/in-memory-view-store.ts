import type { UserPage, UserView } from '../../src/domain/user-view.ts';
import type {
  ApplyOutcome,
  ChangeToApply,
  ViewStore,
  WriteTarget,
} from '../../src/infra/redis-view-store.ts';

/**
 * A ViewStore double for unit tests of the paths that feed the store (the batch processor, the
 * record runner): it keeps which event ids each view applied, so duplicates are duplicates,
 * and `failWith` makes the next writes fail the way Redis does (one change's error, or the
 * whole round trip). Reads are the Redis store's job and its integration tests'.
 */
export function createInMemoryViewStore() {
  const applied = new Map<string, ChangeToApply[]>();
  const seen = new Map<string, Set<string>>();
  let failure: { kind: 'change' | 'round-trip'; error: Error } | undefined;
  const store: ViewStore = {
    async apply(changes: ChangeToApply[], target: WriteTarget): Promise<ApplyOutcome[]> {
      if (failure?.kind === 'round-trip') throw failure.error;
      if (failure?.kind === 'change') return changes.map(() => failure?.error as Error);
      const outcomes: ApplyOutcome[] = changes.map(() => 'duplicate');
      for (const view of target.views) {
        const ids = seen.get(view) ?? new Set<string>();
        seen.set(view, ids);
        changes.forEach((change, index) => {
          if (ids.has(change.eventId)) return;
          ids.add(change.eventId);
          applied.set(view, [...(applied.get(view) ?? []), change]);
          outcomes[index] = 'applied';
        });
      }
      return outcomes;
    },
    async user(): Promise<UserView | null> {
      return null;
    },
    async users(): Promise<UserPage> {
      return { totalCount: 0, nodes: [], endCursor: null, hasNextPage: false };
    },
    async dropView(view: string) {
      const count = applied.get(view)?.length ?? 0;
      applied.delete(view);
      seen.delete(view);
      return count;
    },
  };
  return {
    store,
    /** The changes each view applied, in order. */
    applied: (view: string) => applied.get(view) ?? [],
    failWith(kind: 'change' | 'round-trip', error: Error) {
      failure = { kind, error };
    },
    recover() {
      failure = undefined;
    },
  };
}
