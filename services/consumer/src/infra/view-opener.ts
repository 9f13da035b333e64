import { withTimeout } from '@kafka-ecs/service-kit';
import type { Logger } from 'pino';
import {
  type OpenedViews,
  type ViewRegistry,
  ViewRegistryMissingError,
  type ViewTargets,
} from './view-registry.ts';

export interface ViewOpener {
  /** Initializes the registry (every start does); records a lost view if it finds one. */
  open(): Promise<OpenedViews>;
  /** The registry's targets; opened again first if Redis has none (came back without its data). */
  targets(): Promise<ViewTargets>;
}

/** How long the check asks Kafka before it takes the view for lost. */
export const LOST_CHECK_TIMEOUT_MS = 5_000;

/**
 * The views as the live consumer and the readers find them, opened again when Redis lost them.
 * Before, a Redis that came back empty left every batch failing on the missing registry, held
 * forever while /ready answered 200, and the next task to start made an empty first view and
 * served it as if whole. Now whoever meets the missing registry first (a start, a batch, a read)
 * makes it again, and if this group had already committed offsets the view is lost: it holds
 * only what comes after, which the log says (error), the registry records (`lostSince`, metric
 * `consumer_view_lost`) and a rebuild repairs (docs/operations.md, "Rebuilding the view").
 * Consuming carries on meanwhile: a rebuild reads the same topics, and nothing is skipped.
 *
 * The registry made is marked unverified in the same atomic step, and only the check clears
 * the mark: a check cut short (the process stopped, Redis failed again) is made at the next
 * start. One that cannot ask Kafka in time takes the view for lost: a rebuild of a view that
 * was whole costs a replay, a lost view taken for whole is served as if whole.
 */
export function createViewOpener(deps: {
  registry: ViewRegistry;
  /** Whether this consumer group has committed an offset on its topics. */
  groupHasCommitted: () => Promise<boolean>;
  logger: Logger;
  checkTimeoutMs?: number;
}): ViewOpener {
  const { registry, logger } = deps;

  async function check(view: string): Promise<void> {
    const committed = await withTimeout(
      deps.groupHasCommitted(),
      deps.checkTimeoutMs ?? LOST_CHECK_TIMEOUT_MS,
    ).catch((error: unknown) => error);
    // Anything but a plain "no" (yes, a timeout, any failure) counts as lost.
    if (committed !== false) {
      logger.error(
        { view, ...(committed === true ? {} : { err: committed }) },
        committed === true
          ? 'the view was lost: Redis held no view registry although this group has committed ' +
              'offsets; the new view holds only events from here on, until a rebuild'
          : 'the view may have been lost: Redis held no view registry and Kafka could not say ' +
              'whether this group had committed offsets; taken for lost until a rebuild',
      );
      await registry.markLost(new Date());
    }
    await registry.verified();
  }

  async function openOnce(): Promise<OpenedViews> {
    const opened = await registry.initialize();
    // Only the call that made the registry is told so (an atomic script); a later start sees the
    // mark if that call's check did not finish.
    if (opened.created || (await registry.unverified())) await check(opened.active);
    return opened;
  }
  // The batches and reads that meet a missing registry at once share one opening: one check,
  // one Kafka client.
  let opening: Promise<OpenedViews> | undefined;
  const open = () => {
    opening ??= openOnce().finally(() => {
      opening = undefined;
    });
    return opening;
  };

  return {
    open,
    async targets() {
      try {
        return await registry.targets();
      } catch (error) {
        if (!(error instanceof ViewRegistryMissingError)) throw error;
        return open();
      }
    },
  };
}
