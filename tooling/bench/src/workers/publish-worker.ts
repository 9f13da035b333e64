// The publish path in a process of its own (so it can run under --cpu-prof and its memory is
// its own): the project's publisher, as the producer configures it, at full speed.
// Input: one JSON argument (PublishJob). Output: one JSON line (PublishReport) on stdout.
import { createKafkaConnection, type KafkaLibrary } from '@kafka-ecs/kafka';
import { type FixtureRecord, userCreatedRecord } from '../fixtures.ts';
import { benchConnections } from '../infra/connection-security.ts';

export interface PublishJob {
  brokers: string[];
  topic: string;
  records: number;
  warmup: number;
  /** Publishes kept in flight at once. */
  concurrency: number;
  /** The producer's PUBLISH_MAX_BATCH, PUBLISH_LINGER_MS and PUBLISH_TIMEOUT_MS. */
  maxBatchSize: number;
  lingerMs: number;
  sendTimeoutMs: number;
  usernamePrefix: string;
  /** The client library behind the publisher (KAFKA_CLIENT). */
  library: KafkaLibrary;
}

export interface PublishReport {
  records: number;
  failed: number;
  elapsedMs: number;
  recordsPerSecond: number;
  batches: number;
  /** CPU time (user + system) of the timed part, µs. */
  cpuMicros: number;
  /** Peak resident set size of the whole process, MiB. */
  peakRssMiB: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as PublishJob;
const quiet = () => {};
const logger = { debug: quiet, info: quiet, warn: quiet, error: console.error };
let batches = 0;
const publisher = createKafkaConnection({
  brokers: job.brokers,
  clientId: 'bench-publisher',
  logger,
  // Inherited from the bench, so never on the command line where `ps` would show a password.
  security: benchConnections(process.env).kafka,
  library: job.library,
}).publisher({
  maxBatchSize: job.maxBatchSize,
  lingerMs: job.lingerMs,
  sendTimeoutMs: job.sendTimeoutMs,
  onBatch: () => {
    batches++;
  },
});

// Events are made before the clock starts: building and validating them is the use case's
// work, not the publisher's.
const make = (count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => userCreatedRecord(job.usernamePrefix, offset + i));

async function publishAll(records: FixtureRecord[]): Promise<number> {
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < records.length) {
      const record = records[next++] as FixtureRecord;
      try {
        await publisher.publish({ topic: job.topic, ...record });
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, records.length) }, lane));
  return failed;
}

await publisher.start();
if (job.warmup > 0) await publishAll(make(job.warmup, 0));
const records = make(job.records, job.warmup);
batches = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const failed = await publishAll(records);
const cpu = process.cpuUsage(cpuBefore);
const elapsedMs = performance.now() - started;
await publisher.stop();
const report: PublishReport = {
  records: records.length,
  failed,
  elapsedMs,
  recordsPerSecond: ((records.length - failed) / elapsedMs) * 1000,
  batches,
  cpuMicros: cpu.user + cpu.system,
  // maxRSS is in KiB.
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
