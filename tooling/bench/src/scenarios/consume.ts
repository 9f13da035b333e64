import { kafkaVersion } from '@kafka-ecs/devstack';
import { waitFor } from '@kafka-ecs/testing';
import type { BenchContext, Scenario } from '../context.ts';
import { runKafkaTool } from '../infra/java-tool.ts';
import { waitForCount } from '../infra/progress.ts';
import { deleteKeysWithPrefix } from '../infra/redis-keys.ts';
import { runPublishWorker } from '../infra/workers.ts';
import {
  CONSUMER_PERFORMANCE,
  consumerPerformanceArgs,
  parseConsumerPerformance,
} from '../kafka-tools.ts';
import { ceilingRatio, metric } from '../result-schema.ts';
import { consumerEnv, launch, shutdown } from './launch.ts';
import { PRODUCER_DEFAULTS } from './publish.ts';

/**
 * 2. The consumer service (built, production mode) over a pre-filled topic: fetch → decode →
 * validate → Redis view → commit, from the moment it joined its group until the group's
 * committed offsets reach the end; vs ConsumerPerformance's fetch rate (which also excludes the
 * group join) on the same topic.
 */
export const consumeScenario: Scenario = {
  id: 'consume',
  title: '2. Consume path',
  async run(context) {
    const { options, tag } = context;
    const filled = context.filled ?? (await fill(context));
    const project: number[] = [];
    const reference: number[] = [];
    const checks = [];
    for (let run = 0; run < options.runs; run++) {
      const groupId = `bench-consume-${tag}-${run}`;
      const viewPrefix = `bench-${tag}-view-c${run}`;
      const consumer = await launch(
        context,
        'consumer',
        consumerEnv(context, {
          CONSUMER_GROUP_ID: groupId,
          CONSUMER_TOPICS: filled.topic,
          VIEW_KEY_PREFIX: viewPrefix,
        }),
      );
      let rate = Number.NaN;
      try {
        const joinedAt = await waitFor(() => joinTime(consumer.output, groupId), {
          timeoutMs: 30_000,
          description: 'consumer joined its group',
        });
        await waitForCount(
          () => context.kafka.committedCount(groupId, filled.topic),
          filled.records,
          {
            stallMs: 30_000,
            maxMs: 600_000,
            description: 'consumer committed the whole topic',
          },
        );
        const doneAt = Date.now();
        rate = (filled.records / (doneAt - joinedAt)) * 1000;
        const applied = await appliedUsers(context, viewPrefix);
        checks.push({
          name: `run ${run + 1}: every event applied to the view`,
          ok: applied === filled.records,
          detail: `${applied} users in the view of ${filled.records} events`,
        });
      } finally {
        await shutdown(context, consumer);
      }
      project.push(rate);
      await deleteKeysWithPrefix(context.redis, `${viewPrefix}:`);

      const referenceGroup = `bench-consumer-perf-${tag}-${run}`;
      context.cleanup.groups.push(referenceGroup);
      const output = await runKafkaTool(
        CONSUMER_PERFORMANCE,
        consumerPerformanceArgs({
          bootstrap: context.brokers.join(','),
          topic: filled.topic,
          records: filled.records,
          group: referenceGroup,
          timeoutMs: 60_000,
          configFile: context.javaClientConfig,
          kafkaVersion: kafkaVersion(),
        }),
        { timeoutMs: 180_000 },
      );
      reference.push(parseConsumerPerformance(output).fetchRecordsPerSecond);
      context.log(
        `  run ${run + 1}: consumer ${Math.round(rate)}/s applied, ConsumerPerformance ${Math.round(reference.at(-1) ?? 0)}/s fetched`,
      );
    }
    return {
      metrics: [
        metric('consumer, applied to the view', 'events/s', project, {
          comparison: 'atLeast',
          value: 50_000,
        }),
        metric('ConsumerPerformance fetch rate', 'records/s', reference),
        // Issue #15's target: three times the ratio of 2026-11 (full 0.04×, quick 0.099×).
        ceilingRatio('consume', 'ratio project / ConsumerPerformance', project, reference, {
          comparison: 'atLeast',
          value: options.mode === 'full' ? 0.12 : 0.3,
        }),
      ],
      checks,
      notes: [
        `${filled.records} ~300-byte new-user-created events on 8 partitions, a new group and view per run; timed from the consumer's "joined consumer group" log line until the committed offsets reach the end`,
      ],
    };
  },
};

/** When only this scenario runs, the publisher fills a topic first. */
async function fill(context: BenchContext): Promise<{ topic: string; records: number }> {
  const topic = `bench-consume-fill-${context.tag}`;
  context.cleanup.topics.push(topic);
  await context.kafka.createTopics([topic]);
  await runPublishWorker(
    {
      brokers: context.brokers,
      topic,
      records: context.options.publishRecords + context.options.publishWarmup,
      warmup: 0,
      concurrency: context.options.publishConcurrency,
      ...PRODUCER_DEFAULTS,
      usernamePrefix: `fill-${context.tag}-`,
    },
    { timeoutMs: 300_000 },
  );
  context.filled = { topic, records: await context.kafka.recordCount(topic) };
  return context.filled;
}

/**
 * The time (epoch ms) of the consumer's "joined consumer group" log line for `groupId`, once it
 * is there (the consumer logs the same line for its `.retry` and `.dead-letters` groups).
 */
function joinTime(output: readonly string[], groupId: string): number | undefined {
  for (const entry of output) {
    if (!entry.includes('"joined consumer group"')) continue;
    const line = JSON.parse(entry) as { time?: string; groupId?: string };
    if (line.groupId !== groupId) continue;
    const time = Date.parse(line.time ?? '');
    return Number.isFinite(time) ? time : undefined;
  }
  return undefined;
}

/** Users in the consumer's active view (its users index). */
async function appliedUsers(context: BenchContext, viewPrefix: string): Promise<number> {
  const view = await context.redis.get(`${viewPrefix}:view:active`);
  return view ? context.redis.zcard(`${viewPrefix}:${view}:users`) : 0;
}
