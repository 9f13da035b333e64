import { kafkaVersion } from '@kafka-ecs/devstack';
import { KAFKA_LIBRARIES, type KafkaLibrary } from '@kafka-ecs/kafka';
import { waitFor } from '@kafka-ecs/testing';
import type { BenchContext, Scenario } from '../context.ts';
import { runKafkaTool } from '../infra/java-tool.ts';
import { waitForCount } from '../infra/progress.ts';
import { deleteKeysWithPrefix, type RedisWork, redisWork } from '../infra/redis-keys.ts';
import { runPublishWorker } from '../infra/workers.ts';
import {
  CONSUMER_PERFORMANCE,
  consumerPerformanceArgs,
  parseConsumerPerformance,
} from '../kafka-tools.ts';
import { machineCpu } from '../machine.ts';
import { processCpuSeconds } from '../process-memory.ts';
import { ceilingRatio, metric } from '../result-schema.ts';
import { type ClientFigures, figuresByLibrary, librarySuffix } from './client-libraries.ts';
import { consumerEnv, launch, shutdown } from './launch.ts';
import { PRODUCER_DEFAULTS } from './publish.ts';

/**
 * 2. The consumer service (built, production mode) over a pre-filled topic, on each client
 * library: fetch → decode → validate → Redis view → commit, from the moment it joined its group
 * until the group's committed offsets reach the end; vs ConsumerPerformance's fetch rate (which
 * also excludes the group join) on the same topic.
 */
export const consumeScenario: Scenario = {
  id: 'consume',
  title: '2. Consume path',
  async run(context) {
    const { options, tag } = context;
    const filled = context.filled ?? (await fill(context));
    const byLibrary = figuresByLibrary();
    const reference: number[] = [];
    const checks = [];
    for (let run = 0; run < options.runs; run++) {
      for (const library of KAFKA_LIBRARIES) {
        const { applied, figures } = await consumeOnce(context, filled, `${run}`, library);
        checks.push({
          name: `run ${run + 1} (${library}): every event applied to the view`,
          ok: applied === filled.records,
          detail: `${applied} users in the view of ${filled.records} events`,
        });
        record(byLibrary[library], figures);
      }

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
        `  run ${run + 1}: consumer ${KAFKA_LIBRARIES.map((library) => `${library} ${Math.round(byLibrary[library].rates.at(-1) ?? 0)}/s`).join(', ')} applied, ConsumerPerformance ${Math.round(reference.at(-1) ?? 0)}/s fetched`,
      );
    }
    return {
      metrics: [
        ...KAFKA_LIBRARIES.flatMap((library) => {
          const figures = byLibrary[library];
          const suffix = librarySuffix(library);
          return [
            metric(`consumer, applied to the view${suffix}`, 'events/s', figures.rates, {
              comparison: 'atLeast',
              value: 50_000,
            }),
            // Issue #15's target: three times the ratio of 2026-11 (full 0.04×, quick 0.099×).
            ceilingRatio(
              `consume${suffix}`,
              `ratio project${suffix} / ConsumerPerformance`,
              figures.rates,
              reference,
              { comparison: 'atLeast', value: options.mode === 'full' ? 0.12 : 0.3 },
            ),
            metric(`consumer CPU per event${suffix}`, 'µs', figures.cpuPerRecord),
            metric(`consumer peak RSS${suffix}`, 'MiB', figures.peakRss),
            metric(`Redis CPU per event${suffix}`, 'µs', figures.redisCpuPerRecord),
            metric(`Redis script time per event${suffix}`, 'µs', figures.redisScriptPerRecord),
            metric(`broker CPU per event${suffix}`, 'µs', figures.brokerCpuPerRecord),
            metric(`machine CPU per event${suffix}`, 'µs', figures.machineCpuPerRecord),
          ];
        }),
        metric('ConsumerPerformance fetch rate', 'records/s', reference),
      ],
      checks,
      notes: [
        `${filled.records} ~300-byte new-user-created events on 8 partitions, a new group and view per run and library (KAFKA_CLIENT kafkajs with the consumer's default two members of its group, then platformatic with one); CPU per event counts the whole process from the join to the last commit (Redis' from INFO cpu over the same span, its script time from INFO commandstats' EVAL and EVALSHA, the commands the script calls included, timed by the clock; the local broker's from /proc over the same span, when the run uses the stack's; the machine's, every process and the kernel together, from /proc/stat); CPU sampled every 25 ms from the consumer's start, the span's start being the last sample before its join; timed from the consumer's "joined consumer group" log line until the committed offsets reach the end`,
      ],
    };
  },
};

/**
 * One consumer process on `library` reads the filled topic to its end with a new group and view;
 * resolves with its rate, CPU per event and peak RSS, and the users its view holds.
 */
async function consumeOnce(
  context: BenchContext,
  filled: { topic: string; records: number },
  run: string,
  library: KafkaLibrary,
): Promise<{ applied: number; figures: ConsumeFigures }> {
  const groupId = `bench-consume-${context.tag}-${library}-${run}`;
  const viewPrefix = `bench-${context.tag}-view-${library}-c${run}`;
  const sampler = sampleWork(context);
  const consumer = await launch(
    context,
    'consumer',
    consumerEnv(context, {
      CONSUMER_GROUP_ID: groupId,
      CONSUMER_TOPICS: filled.topic,
      VIEW_KEY_PREFIX: viewPrefix,
      KAFKA_CLIENT: library,
    }),
    { onSpawn: sampler.follow },
  ).catch((error: unknown) => {
    sampler.stop();
    throw error;
  });
  try {
    const joinedAt = await waitFor(() => joinTime(consumer.output, groupId), {
      timeoutMs: 30_000,
      description: 'consumer joined its group',
    });
    // The work from the join on: the consumer may be applying before the bench sees it ready
    // (with two members, the first one reads alone until the second has joined).
    const atJoin = sampler.stopAt(joinedAt);
    const cpuAtJoin = atJoin?.consumer ?? Number.NaN;
    const brokerAtJoin = atJoin?.broker ?? Number.NaN;
    const machineAtJoin = atJoin?.machine ?? Number.NaN;
    const redisAtJoin = atJoin?.redis ?? { cpuSeconds: Number.NaN, scriptSeconds: Number.NaN };
    // Each probe asks the broker for the group's offsets: about 0.5 ms of the bench's CPU, on
    // the machine being measured. Every 25 ms near the end, which is what the rate is timed by.
    await waitForCount(() => context.kafka.committedCount(groupId, filled.topic), filled.records, {
      stallMs: 30_000,
      maxMs: 600_000,
      maxIntervalMs: 250,
      description: 'consumer committed the whole topic',
    });
    const doneAt = Date.now();
    const atEnd = await readWork(context, consumer.child.pid);
    const cpu = atEnd.consumer - cpuAtJoin;
    const brokerCpu = atEnd.broker - brokerAtJoin;
    const machineBusy = atEnd.machine - machineAtJoin;
    const redisCpu = atEnd.redis.cpuSeconds - redisAtJoin.cpuSeconds;
    const redisScript = atEnd.redis.scriptSeconds - redisAtJoin.scriptSeconds;
    const figures = {
      rate: (filled.records / (doneAt - joinedAt)) * 1000,
      cpuPerRecord: (cpu * 1e6) / filled.records,
      redisCpuPerRecord: (redisCpu * 1e6) / filled.records,
      redisScriptPerRecord: (redisScript * 1e6) / filled.records,
      brokerCpuPerRecord: (brokerCpu * 1e6) / filled.records,
      machineCpuPerRecord: (machineBusy * 1e6) / filled.records,
      peakRss: consumer.memory()?.peakRssMiB ?? Number.NaN,
    };
    return { applied: await appliedUsers(context, viewPrefix), figures };
  } finally {
    sampler.stop();
    await shutdown(context, consumer);
    await deleteKeysWithPrefix(context.redis, `${viewPrefix}:`);
  }
}

/** The CPU of the consumer, Redis, the local broker and the machine at one moment (s). */
interface WorkSample {
  at: number;
  consumer: number;
  broker: number;
  machine: number;
  redis: RedisWork;
}

/** The work counters now (NaN for one that cannot be read), stamped once all are read. */
async function readWork(context: BenchContext, pid: number | undefined): Promise<WorkSample> {
  const consumer = processCpuSeconds(pid) ?? Number.NaN;
  const broker = processCpuSeconds(context.brokerPid) ?? Number.NaN;
  const machine = machineCpu()?.busy ?? Number.NaN;
  const redis = await redisWork(context.redis);
  return { at: Date.now(), consumer, broker, machine, redis };
}

/**
 * Samples the work counters every 25 ms from the consumer's spawn, so that the measured span
 * can start at its join (a time from its log) even when the bench sees the join later.
 * `stopAt(time)` ends the sampling (its INFO calls are Redis work: the few between the join and
 * the bench seeing it fall inside the span) and returns the sample taken just before `time`.
 */
function sampleWork(context: BenchContext, intervalMs = 25) {
  const samples: WorkSample[] = [];
  let pid: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const take = async () => {
    if (busy || pid === undefined) return;
    busy = true;
    try {
      // Stamped once every counter is read: a sample stamped before the join read nothing after.
      samples.push(await readWork(context, pid));
    } finally {
      busy = false;
    }
  };
  const stop = () => clearInterval(timer);
  return {
    follow(consumerPid: number) {
      pid = consumerPid;
      // A sample whose INFO failed is skipped; none near the join leaves the figures NaN.
      void take().catch(() => {});
      timer = setInterval(() => void take().catch(() => {}), intervalMs);
    },
    stop,
    /** The last sample at or before `time`; none when that is more than 4 intervals older. */
    stopAt(time: number): WorkSample | undefined {
      stop();
      const last = samples.filter((sample) => sample.at <= time).at(-1);
      return last && time - last.at <= 4 * intervalMs ? last : undefined;
    },
  };
}

type ConsumeFigures = {
  rate: number;
  cpuPerRecord: number;
  peakRss: number;
  redisCpuPerRecord: number;
  redisScriptPerRecord: number;
  brokerCpuPerRecord: number;
  machineCpuPerRecord: number;
};

function record(into: ClientFigures, figures: ConsumeFigures): void {
  into.rates.push(figures.rate);
  into.cpuPerRecord.push(figures.cpuPerRecord);
  into.peakRss.push(figures.peakRss);
  into.redisCpuPerRecord.push(figures.redisCpuPerRecord);
  into.redisScriptPerRecord.push(figures.redisScriptPerRecord);
  into.brokerCpuPerRecord.push(figures.brokerCpuPerRecord);
  into.machineCpuPerRecord.push(figures.machineCpuPerRecord);
}

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
      library: 'kafkajs',
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

/** Users in the consumer's active view: the members of its users index, over all its shards. */
async function appliedUsers(context: BenchContext, viewPrefix: string): Promise<number> {
  const view = await context.redis.get(`${viewPrefix}:{registry}:active`);
  if (!view) return 0;
  let users = 0;
  const shards = context.redis.scanStream({ match: `${viewPrefix}:${view}:users:*`, count: 100 });
  for await (const keys of shards as AsyncIterable<string[]>) {
    for (const key of keys) users += await context.redis.zcard(key);
  }
  return users;
}
