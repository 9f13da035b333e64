import {
  type MetricSample,
  metricValue,
  samplesOf,
  scrapeMetrics,
  waitFor,
} from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import type { Scenario } from '../context.ts';
import { createdUserId, createUserBody } from '../fixtures.ts';
import { runPaced } from '../infra/paced-load.ts';
import { waitForCount } from '../infra/progress.ts';
import { type Metric, metric } from '../result-schema.ts';
import { type Buckets, bucketPercentile, bucketsBetween, latencySummary } from '../stats.ts';
import { sharedConsumer, sharedProducer } from './http-services.ts';

/** The consumer's histograms that say where an end-to-end change's time goes (see below). */
const STAGES = [
  ['batch wait', 'consumer_batch_wait_seconds', {}],
  ['batch decode', 'consumer_batch_stage_seconds', { stage: 'decode' }],
  ['batch apply', 'consumer_batch_stage_seconds', { stage: 'apply' }],
] as const;

/**
 * Scrapes until the consumer's count of applied batches holds still: the run's last batch in.
 * After 5 s it says so through `log` and returns the last scrape (the stages may miss a batch).
 */
async function settledScrape(
  metricsUrl: string,
  log: (line: string) => void,
): Promise<MetricSample[]> {
  const applied = (samples: readonly MetricSample[]) =>
    metricValue(samples, 'consumer_batch_stage_seconds_count', { stage: 'apply' });
  // Two scrapes a pause apart agree (waitFor probes at once, then every intervalMs).
  let last: MetricSample[] | undefined;
  return waitFor(
    async () => {
      const next = await scrapeMetrics(metricsUrl);
      const settled = last !== undefined && applied(next) === applied(last);
      last = next;
      return settled && next;
    },
    { timeoutMs: 5_000, intervalMs: 250, description: "the consumer's applied batches settled" },
  ).catch((error: unknown) => {
    log(`  ${(error as Error).message}; its stages are read from the last scrape`);
    return last ?? scrapeMetrics(metricsUrl);
  });
}

/** One histogram's buckets in a scrape, for the samples whose labels include `labels`. */
function bucketsOf(
  samples: readonly MetricSample[],
  name: string,
  labels: Record<string, string>,
): Buckets {
  return samplesOf(samples, `${name}_bucket`, labels).map((sample) => ({
    le: sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le),
    count: sample.value,
  }));
}

/**
 * 6. createUser at a steady rate (one every 1/rate s, open loop); for each user, the time from the mutation's answer reaching the
 * client to the change being visible in the consumer's view. "Visible" is the view's own
 * notification: the consumer's apply script publishes it from inside the write, on the Redis
 * channel `userNotification` is fed from. Both instants are taken by this process's clock.
 * A change already visible when the answer arrives counts as 0.
 *
 * Where the time goes, from the consumer's own histograms over the same run, all per batch: how
 * long its oldest record waited from its timestamp (the producer's send, before the answer) to
 * reaching the consumer's batch handler (broker write and replication, fetch wait), then its
 * decode and apply (the registry read and the view write, whose script publishes the
 * notification). Percentiles of a histogram are the upper bound of their bucket ("at most").
 */
export const endToEndScenario: Scenario = {
  id: 'end-to-end',
  title: '6. End to end (createUser → view)',
  async run(context) {
    const { options } = context;
    const producer = await sharedProducer(context);
    const { service: consumer, viewPrefix } = await sharedConsumer(context);
    const topic = { topic: 'new-user-created' };
    const subscriber = new Redis(context.redisUrl, {
      ...context.connections.redisTls,
      maxRetriesPerRequest: 1,
    });
    const visibleAt = new Map<string, number>();
    subscriber.on('message', (_channel, message: string) => {
      const now = performance.now();
      try {
        const id = (JSON.parse(message) as { id?: string }).id;
        if (id && !visibleAt.has(id)) visibleAt.set(id, now);
      } catch {
        // Not a view notification.
      }
    });
    await subscriber.subscribe(`${viewPrefix}:user-notifications`);
    const metrics: Metric[] = [];
    let missing = 0;
    let answered = 0;
    let failed = 0;
    let early = 0;
    try {
      for (const targetRate of options.endToEndRates) {
        const p50: number[] = [];
        const p99: number[] = [];
        const max: number[] = [];
        const rate: number[] = [];
        const stageP99 = new Map<string, number[]>(STAGES.map(([stage]) => [stage, []]));
        for (let run = 0; run < options.runs; run++) {
          const before = await scrapeMetrics(consumer.metricsUrl);
          const answeredAt = new Map<string, number>();
          let n = 0;
          const usernamePrefix = `e2e-${context.tag}-${targetRate}-${run}-`;
          // Paced, not autocannon's rate: autocannon sends each second's budget as a burst at
          // the second's start, so "250/s" was 250 createUsers (their password hashes) at once,
          // once a second, and the p99 that burst's. Requests the producer cannot take in time
          // wait for a socket; their answers count when they come.
          const load = await runPaced({
            url: `${producer.url}/producer-svc/graphql`,
            method: 'POST',
            connections: options.connections,
            rate: targetRate,
            durationS: options.endToEndSeconds,
            body: () => createUserBody(`${usernamePrefix}${n++}`),
            verifyBody: (body) => createdUserId(body) !== undefined,
            onResponse: (_status, body) => {
              const id = createdUserId(body);
              if (id) answeredAt.set(id, performance.now());
            },
            maxMs: options.endToEndSeconds * 1_000 + 30_000,
          });
          failed += load.non2xx + load.mismatches + load.errors + load.timeouts;
          answered += answeredAt.size;
          const ids = [...answeredAt.keys()];
          const seen = () => Promise.resolve(ids.filter((id) => visibleAt.has(id)).length);
          await waitForCount(seen, ids.length, {
            stallMs: 20_000,
            maxMs: 120_000,
            description: 'every created user visible in the view',
          }).catch((error: unknown) => context.log(`  ${(error as Error).message}`));
          const after = await settledScrape(consumer.metricsUrl, context.log);
          const stages = STAGES.map(([stage, name, labels]) => {
            const between = bucketsBetween(
              bucketsOf(before, name, { ...topic, ...labels }),
              bucketsOf(after, name, { ...topic, ...labels }),
            );
            const p99ms = bucketPercentile(between, 99) * 1_000;
            stageP99.get(stage)?.push(p99ms);
            return `${stage} p50 ≤ ${bucketPercentile(between, 50) * 1_000} ms, p99 ≤ ${p99ms} ms`;
          });
          context.log(`  ${targetRate}/s run ${run + 1}, in the consumer: ${stages.join('; ')}`);
          const latencies: number[] = [];
          for (const [id, at] of answeredAt) {
            const visible = visibleAt.get(id);
            if (visible === undefined) {
              missing++;
              continue;
            }
            if (visible < at) early++;
            latencies.push(Math.max(0, visible - at));
          }
          const summary = latencySummary(latencies);
          p50.push(summary.p50);
          p99.push(summary.p99);
          max.push(summary.max);
          rate.push(load.requestsPerSecond);
          context.log(
            `  ${targetRate}/s run ${run + 1}: ${Math.round(load.requestsPerSecond)} mutations/s, visible after p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, max ${summary.max.toFixed(1)} ms`,
          );
          visibleAt.clear();
        }
        const at = `at ${targetRate}/s`;
        metrics.push(
          metric(`mutations/s achieved ${at}`, 'req/s', rate),
          metric(`answer → visible p50 ${at}`, 'ms', p50),
          metric(
            `answer → visible p99 ${at}`,
            'ms',
            p99,
            targetRate === 1_000 ? { comparison: 'atMost', value: 50 } : undefined,
          ),
          metric(`answer → visible max ${at}`, 'ms', max),
          ...STAGES.map(([stage]) =>
            metric(`consumer ${stage} p99, bucket bound ${at}`, 'ms', stageP99.get(stage) ?? []),
          ),
        );
      }
    } finally {
      subscriber.disconnect();
    }
    return {
      metrics,
      checks: [
        {
          name: 'every successful mutation became visible',
          ok: missing === 0 && failed === 0,
          detail: `${answered - missing} of ${answered} visible, ${failed} mutations failed (non-2xx, GraphQL error or no answer within 10 s), ${early} visible before their answer arrived`,
        },
      ],
      notes: [
        `${options.endToEndRates.join(' and ')} mutations/s offered for ${options.endToEndSeconds} s per run at a steady pace (one request every 1/rate s, on at most ${options.connections} connections), scrypt N=${options.benchScryptCost}; consumer on the contract topic new-user-created with its group started at the end`,
      ],
    };
  },
};
