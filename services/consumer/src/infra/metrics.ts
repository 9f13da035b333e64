import type { RetryMetrics } from '@kafka-ecs/retry';
import { withTimeout } from '@kafka-ecs/service-kit';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

/** The longest a scrape waits for Redis' lost-view flag. */
const VIEW_LOST_READ_MS = 500;

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 5, 30,
];

/**
 * The consumer's Prometheus metrics, in a registry of its own (one per service instance, so
 * in-process tests never share counters). `readLag` is asked on every scrape.
 */
export function createConsumerMetrics(options: {
  readLag?: () => Promise<{ topic: string; partition: number; lag: number }[]>;
  /** The side-topic and dead-letter consumers' lag, by group. */
  readRetryLag?: () => Promise<
    { groupId: string; topic: string; partition: number; lag: number }[]
  >;
  /** Whether the registry records the active view as lost (view-opener.ts). */
  readViewLost?: () => Promise<boolean>;
  defaultMetrics?: boolean;
}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  // One read of Kafka serves both of a scrape's views of it (per partition, and per topic or
  // group): the registry collects its metrics concurrently.
  const readLag = options.readLag && sharedWhileInFlight(options.readLag);
  const readRetryLag = options.readRetryLag && sharedWhileInFlight(options.readRetryLag);
  return {
    registry,
    eventsApplied: new Counter({
      name: 'consumer_events_applied_total',
      help: 'Events applied to the view',
      labelNames: ['type'],
      registers: [registry],
    }),
    eventsDuplicate: new Counter({
      name: 'consumer_events_duplicate_total',
      help: 'Events skipped because their id was already applied (redelivery, replay, retry)',
      labelNames: ['type'],
      registers: [registry],
    }),
    recordFailures: new Counter({
      name: 'consumer_record_failures_total',
      help: 'Records that could not be applied and went to the failure path',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
    batchFailures: new Counter({
      name: 'consumer_batch_failures_total',
      help: 'Batches held uncommitted because a dependency (Redis) failed; retried in place',
      labelNames: ['topic'],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'consumer_batch_duration_seconds',
      help: 'Time to decode, handle and write one batch',
      labelNames: ['topic'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    // Where a change's time to visible goes (docs/performance.md): how long its record waited
    // before the consumer had it, then each stage of its batch. Fine buckets: the target is 20 ms.
    // Once per batch, for its first record by offset: per record it cost ~1 µs an event.
    batchWait: new Histogram({
      name: 'consumer_batch_wait_seconds',
      help: "From the timestamp of a batch's first record by offset (its producer's send) to the batch reaching the view: broker write and replication, fetch wait",
      labelNames: ['topic'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    batchStage: new Histogram({
      name: 'consumer_batch_stage_seconds',
      help: "A batch's time by stage: decode (events to view changes), apply (the view registry read, the view write and its notifications, replica wait included)",
      labelNames: ['topic', 'stage'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'consumer_batch_records',
      help: 'Records per batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 5000],
      registers: [registry],
    }),
    retriesScheduled: new Counter({
      name: 'consumer_retries_scheduled_total',
      help: 'Retries scheduled as BullMQ delayed jobs',
      registers: [registry],
    }),
    retriesRun: new Counter({
      name: 'consumer_retries_total',
      help: 'Retry jobs that re-ran a handler, by outcome (succeeded, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    retryDuplicates: new Counter({
      name: 'consumer_retry_duplicates_total',
      help: 'Retry records skipped because their failure was already counted',
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'consumer_dead_lettered_total',
      help: 'Records sent to the dead-letter queue, by reason (exhausted, non-retryable)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    replayed: new Counter({
      name: 'consumer_dead_letter_replays_total',
      help: 'Operator replays of dead letters, by outcome (replayed, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    discarded: new Counter({
      name: 'consumer_dead_letters_discarded_total',
      help: 'Dead letters an operator discarded (off the list, still on the topic)',
      registers: [registry],
    }),
    retryInfrastructureFailures: new Counter({
      name: 'consumer_retry_infrastructure_failures_total',
      help: 'Redis, BullMQ or Kafka failures under the retry machinery (the work is retried)',
      labelNames: ['component'],
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'consumer_alerts_total',
      help: 'Dead-letter alerts to ALERT_WEBHOOK_URL, by outcome (sent, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    retryLag: lagGauge(registry, {
      name: 'consumer_retry_lag',
      help: 'Records of the side topic and the dead-letter queue not yet handled, by group',
      labelNames: ['group', 'topic', 'partition'],
      read: readRetryLag,
      samples: (entries) =>
        entries.map(({ groupId, topic, partition, lag }) => [
          { group: groupId, topic, partition: String(partition) },
          lag,
        ]),
    }),
    // The alarms' signal: what a group has left, all partitions together. Each task reports the
    // whole group's figure, so CloudWatch's Maximum over tasks is that figure, however many run.
    retryGroupLag: lagGauge(registry, {
      name: 'consumer_retry_group_lag',
      help: 'Records of the side topic and the dead-letter queue not yet handled, summed by group',
      labelNames: ['group'],
      read: readRetryLag,
      samples: (entries) =>
        [...sumBy(entries, (entry) => entry.groupId)].map(([group, lag]) => [{ group }, lag]),
    }),
    viewLost: new Gauge({
      name: 'consumer_view_lost',
      help: 'Whether the view readers see was lost (Redis came back without it) and awaits a rebuild: 1 or 0',
      registers: [registry],
      async collect() {
        if (!options.readViewLost) return;
        // A scrape during a Redis outage reports nothing rather than a guess, and soon: the
        // client's command timeout (5 s) would hold the whole page, lag and all.
        this.reset();
        const lost = await withTimeout(options.readViewLost(), VIEW_LOST_READ_MS).catch(
          () => undefined,
        );
        if (lost !== undefined) this.set(lost ? 1 : 0);
      },
    }),
    lag: lagGauge(registry, {
      name: 'consumer_lag',
      help: 'Records written to a partition and not yet committed by the consumer group',
      labelNames: ['topic', 'partition'],
      read: readLag,
      samples: (entries) =>
        entries.map(({ topic, partition, lag }) => [{ topic, partition: String(partition) }, lag]),
    }),
    groupLag: lagGauge(registry, {
      name: 'consumer_group_lag',
      help: 'Records written to a topic and not yet committed by the consumer group, all partitions',
      labelNames: ['topic'],
      read: readLag,
      samples: (entries) =>
        [...sumBy(entries, (entry) => entry.topic)].map(([topic, lag]) => [{ topic }, lag]),
    }),
  };
}

/**
 * A gauge of lag read from Kafka on every scrape. A scrape during a broker outage reports no lag
 * rather than failing the whole page (the event topics' lag alarms treat missing data as
 * breaching).
 */
function lagGauge<T, L extends string>(
  registry: Registry,
  options: {
    name: string;
    help: string;
    labelNames: L[];
    read: (() => Promise<T[]>) | undefined;
    samples: (entries: T[]) => [Record<L, string>, number][];
  },
) {
  const { read, samples, ...metric } = options;
  return new Gauge<L>({
    ...metric,
    registers: [registry],
    async collect() {
      if (!read) return;
      this.reset();
      try {
        for (const [labels, value] of samples(await read())) this.set(labels, value);
      } catch {
        // Reported as nothing, as said above.
      }
    },
  });
}

/** Calls `read` once for all callers that ask while a call is in flight. */
function sharedWhileInFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

function sumBy<T extends { lag: number }>(entries: T[], keyOf: (entry: T) => string) {
  const sums = new Map<string, number>();
  for (const entry of entries) sums.set(keyOf(entry), (sums.get(keyOf(entry)) ?? 0) + entry.lag);
  return sums;
}

/** The retry system's reports, as the consumer's metrics. */
export function retryMetricsOf(metrics: ConsumerMetrics): RetryMetrics {
  return {
    scheduled: (count) => metrics.retriesScheduled.inc(count),
    duplicate: () => metrics.retryDuplicates.inc(),
    retried: (outcome) => metrics.retriesRun.inc({ outcome }),
    deadLettered: (reason) => metrics.deadLettered.inc({ reason }),
    replayed: (outcome) => metrics.replayed.inc({ outcome }),
    discarded: () => metrics.discarded.inc(),
    infrastructureFailure: (component) => metrics.retryInfrastructureFailures.inc({ component }),
  };
}
