import { KafkaEcsError } from '@kafka-ecs/errors';
import type { KafkaConnection } from '@kafka-ecs/kafka';
import type { RedisClient } from '@kafka-ecs/service-kit';
import type { Logger } from 'pino';
import { type EventHandlers, eventHandlers } from '../domain/handlers/index.ts';
import { createLoggingFailureHandler } from '../entry-points/kafka/record-failure.ts';
import { createViewBatchProcessor } from '../entry-points/kafka/view-batch-processor.ts';
import { createConsumerMetrics } from '../infra/metrics.ts';
import { createRedisViewStore } from '../infra/redis-view-store.ts';
import { createViewRegistry } from '../infra/view-registry.ts';
import { type RebuildProgress, type RebuildResult, rebuildView } from './rebuild-view.ts';

/** A record failed its every try and the rebuild was not asked to skip such records. */
export class RebuildGaveUpError extends KafkaEcsError {}

/**
 * Wires the view rebuild from clients the caller created (the rebuild command, or a test):
 * same handlers and store as the live consumer, a rebuild group of its own, no notifications.
 */
export async function runRebuild(options: {
  logger: Logger;
  kafka: KafkaConnection;
  /** The live consumer's handlers (fault injection included, where it is on). @defaultValue eventHandlers */
  handlers?: EventHandlers;
  redis: RedisClient;
  groupId: string;
  topics: string[];
  viewPrefix: string;
  /** As the live consumer's REDIS_WAIT_REPLICAS: a rebuilt view must survive a failover too. */
  redisWaitReplicas?: number;
  dropPrevious?: boolean;
  /**
   * Leave out a record whose handler fails its every try instead of giving the rebuild up (the
   * view then lacks its event, as the live view does until its retry or replay). @defaultValue false
   */
  skipFailing?: boolean;
  timeoutMs?: number;
  onProgress?: (progress: RebuildProgress) => void;
}): Promise<RebuildResult & { skipped: { neverApplies: number; keptFailing: number } }> {
  const { logger, redis } = options;
  const store = createRedisViewStore({
    redis,
    prefix: options.viewPrefix,
    waitReplicas: options.redisWaitReplicas,
  });
  const registry = createViewRegistry({ redis, prefix: options.viewPrefix });
  const metrics = createConsumerMetrics({ defaultMetrics: false });
  // Bad records were already handed to the failure path by the live consumer; here they are
  // only logged and counted, never published a second time.
  const skipped = { neverApplies: 0, keptFailing: 0 };
  const giveUp = new AbortController();
  const onRecordFailure = createLoggingFailureHandler({
    logger,
    metrics,
    skipFailing: options.skipFailing,
    onSkipped: (_failure, why) => {
      if (why === 'never-applies') skipped.neverApplies += 1;
      else skipped.keptFailing += 1;
    },
    onGaveUp: ({ record, reason }) =>
      giveUp.abort(
        new RebuildGaveUpError(
          `${record.topic}/${record.partition}@${record.offset} failed in every try (${reason}): ` +
            'the new view would lack it. Fix the handler, or rebuild with --skip-failing to leave ' +
            'such records to the failure path',
        ),
      ),
  });
  const admin = options.kafka.groupAdmin();
  await registry.initialize();
  try {
    const result = await rebuildView({
      registry,
      admin,
      topics: options.topics,
      groupIdPrefix: options.groupId,
      dropView: (view) => store.dropView(view),
      dropPrevious: options.dropPrevious,
      timeoutMs: options.timeoutMs,
      onProgress: options.onProgress,
      onReadFailed: (err) =>
        logger.warn({ err }, "reading the replay group's progress failed; reading again"),
      signal: giveUp.signal,
      viewWriter: (view) =>
        createViewBatchProcessor({
          handlers: options.handlers ?? eventHandlers,
          store,
          metrics,
          onRecordFailure,
          target: async () => ({ views: [view], notify: false, writer: 'rebuild' }),
        }),
      createReplayConsumer: (groupId, handleBatch) =>
        options.kafka.batchConsumer({
          groupId,
          topics: options.topics,
          fromBeginning: true,
          // Order only matters per partition, so read them all at once.
          partitionsConsumedConcurrently: 16,
          logger,
          handleBatch,
        }),
    });
    // Records the new view lacks because their handler failed.
    return { ...result, skipped };
  } finally {
    await admin.disconnect();
  }
}
