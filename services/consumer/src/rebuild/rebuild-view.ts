import type { BatchConsumer, BatchHandler, GroupAdmin } from '@kafka-ecs/kafka';
import { replayRange, waitForCommitted } from '@kafka-ecs/kafka';
import type { ViewRegistry } from '../infra/view-registry.ts';

export interface RebuildProgress {
  view: string;
  /** Records still to read up to the offsets captured at start. */
  remaining: number;
  total: number;
}

export interface RebuildResult {
  view: string;
  previous: string;
  records: number;
  durationMs: number;
  droppedKeys: number;
}

/**
 * Rebuilds the view from the beginning of the topics into a fresh view, then switches readers
 * to it, while the live consumer keeps running:
 *
 * 1. allocate view `vN` and have the live consumer write every new event to it as well;
 * 2. capture the topics' end offsets: everything before them is replayed by a consumer group of
 *    its own from the beginning, everything after reaches `vN` through the live consumer (a live
 *    batch that still wrote only the old view was fetched before step 1, so it lies before the
 *    captured ends); overlap is harmless, events apply once per id;
 * 3. when the replay group has committed the captured ends, point readers at `vN` and stop
 *    writing the old view (dropped when asked).
 */
export async function rebuildView(deps: {
  registry: ViewRegistry;
  admin: GroupAdmin;
  topics: string[];
  /** Builds the replay consumer (its own group, from the beginning) around the batch handler. */
  createReplayConsumer: (groupId: string, handleBatch: BatchHandler) => BatchConsumer;
  /** The batch handler that writes into one view, without notifications. */
  viewWriter: (view: string) => BatchHandler;
  groupIdPrefix: string;
  dropView: (view: string) => Promise<number>;
  dropPrevious?: boolean;
  timeoutMs?: number;
  onProgress?: (progress: RebuildProgress) => void;
  /** A read of the replay group's progress failed; the wait reads again (waitForCommitted). */
  onReadFailed?: (error: unknown) => void;
  /** Aborted to give the rebuild up (a record that fails its every try): it rejects with its reason. */
  signal?: AbortSignal;
}): Promise<RebuildResult> {
  const started = Date.now();
  const view = await deps.registry.beginRebuild();
  const groupId = `${deps.groupIdPrefix}.rebuild-${view}-${started}`;
  let consumer: BatchConsumer | undefined;
  try {
    const range = await replayRange(deps.admin, deps.topics);
    const total = [...range.ends].reduce(
      (sum, [key, end]) => sum + Number(end) - Number(range.starts.get(key) ?? 0),
      0,
    );
    consumer = deps.createReplayConsumer(groupId, deps.viewWriter(view));
    await consumer.start();
    await waitForCommitted(deps.admin, groupId, deps.topics, range, {
      deadline: started + (deps.timeoutMs ?? 60 * 60 * 1000),
      onRemaining: (remaining) => deps.onProgress?.({ view, remaining, total }),
      onReadFailed: deps.onReadFailed,
      signal: deps.signal,
    });
    await consumer.stop();
    consumer = undefined;
    const { previous } = await deps.registry.activate(view);
    await deps.admin.deleteGroup(groupId).catch(() => {});
    const droppedKeys = deps.dropPrevious && previous !== view ? await deps.dropView(previous) : 0;
    return { view, previous, records: total, durationMs: Date.now() - started, droppedKeys };
  } catch (error) {
    await consumer?.stop().catch(() => {});
    await deps.registry.abandon(view);
    await deps.dropView(view).catch(() => {});
    await deps.admin.deleteGroup(groupId).catch(() => {});
    throw error;
  }
}
