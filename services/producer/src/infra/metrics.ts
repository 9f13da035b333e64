import type { BatchReport } from '@kafka-ecs/kafka';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ProducerMetrics {
  eventsPublished: Counter<'topic' | 'outcome'>;
  publishSeconds: Histogram<'topic' | 'outcome'>;
  batchSize: Histogram;
  batchSeconds: Histogram<'outcome'>;
  hashesRefused: Counter;
  userCommitsPending: Gauge;
  userCommitsLost: Counter<'reason'>;
}

/** The producer's own metrics, registered on the registry /metrics serves. */
export function createProducerMetrics(registry: Registry): ProducerMetrics {
  return {
    eventsPublished: new Counter({
      name: 'producer_events_published_total',
      help: 'Events handed to Kafka, by topic and outcome (ok | failed)',
      labelNames: ['topic', 'outcome'],
      registers: [registry],
    }),
    publishSeconds: new Histogram({
      name: 'producer_publish_duration_seconds',
      help: 'From publish to Kafka acknowledgement (acks=-1), batching wait included',
      labelNames: ['topic', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'producer_batch_records',
      help: 'Records per Kafka send call',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'producer_batch_duration_seconds',
      help: 'Duration of one Kafka send call',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    hashesRefused: new Counter({
      name: 'producer_password_hashes_refused_total',
      help: "Password hashes refused as too long to wait for: createUser and login answered SERVICE_UNAVAILABLE, or a login's re-hash of an old hash put off",
      registers: [registry],
    }),
    userCommitsPending: new Gauge({
      name: 'producer_user_commits_pending',
      help: 'Users whose event is out and whose commit to Redis goes on in the background',
      registers: [registry],
    }),
    userCommitsLost: new Counter({
      name: 'producer_user_commits_lost_total',
      help: 'Users whose event is out but who are not in the store, by reason (name-taken | too-many | shutdown)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

/** The publisher's report of each send call, as the batch histograms: main.ts and tests alike. */
export function observeBatches(metrics: ProducerMetrics): (report: BatchReport) => void {
  return ({ records, durationMs, error }) => {
    metrics.batchSize.observe(records);
    metrics.batchSeconds.observe({ outcome: error ? 'failed' : 'ok' }, durationMs / 1000);
  };
}
