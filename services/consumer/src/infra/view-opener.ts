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

/**
 * The views as the live consumer and the readers find them, opened again when Redis lost them.
 * Before, a Redis that came back empty left every batch failing on the missing registry, held
 * forever while /ready answered 200, and the next task to start made an empty first view and
 * served it as if whole. Now whoever meets the missing registry first (a start, a batch, a read)
 * makes it again, and if this group had already committed offsets the view is lost: it holds
 * only what comes after, which the log says (error), the registry records (`lostSince`, metric
 * `consumer_view_lost`) and a rebuild repairs (docs/operations.md, "Rebuilding the view").
 * Consuming carries on meanwhile: a rebuild reads the same topics, and nothing is skipped.
 */
export function createViewOpener(deps: {
  registry: ViewRegistry;
  /** Whether this consumer group has committed an offset on its topics. */
  groupHasCommitted: () => Promise<boolean>;
  logger: Logger;
  now?: () => Date;
}): ViewOpener {
  const { registry, logger } = deps;
  const now = deps.now ?? (() => new Date());

  async function open(): Promise<OpenedViews> {
    const opened = await registry.initialize();
    // Only the one call that made the registry is told so (an atomic script): one report.
    if (opened.created && (await deps.groupHasCommitted())) {
      await registry.markLost(now());
      logger.error(
        { view: opened.active },
        'the view was lost: Redis held no view registry although this group has committed ' +
          'offsets; the new view holds only events from here on, until a rebuild',
      );
    }
    return opened;
  }

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
