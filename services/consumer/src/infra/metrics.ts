import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

/**
 * The consumer's Prometheus metrics, in a registry of its own (one per service instance, so
 * in-process tests never share counters). `readLag` is asked on every scrape.
 */
export function createConsumerMetrics(options: {
  readLag?: () => Promise<{ topic: string; partition: number; lag: number }[]>;
  defaultMetrics?: boolean;
}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const readLag = options.readLag;
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
    batchSize: new Histogram({
      name: 'consumer_batch_records',
      help: 'Records per batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 5000],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'consumer_lag',
      help: 'Records written to a partition and not yet committed by the consumer group',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      async collect() {
        if (!readLag) return;
        this.reset();
        try {
          for (const { topic, partition, lag } of await readLag()) {
            this.set({ topic, partition: String(partition) }, lag);
          }
        } catch {
          // A scrape during a broker outage reports no lag rather than failing the whole page.
        }
      },
    }),
  };
}
