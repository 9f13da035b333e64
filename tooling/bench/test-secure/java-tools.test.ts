import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaVersion } from '@kafka-ecs/devstack';
import { uniqueName } from '@kafka-ecs/testing';
import { createBenchKafka } from '../src/infra/bench-kafka.ts';
import { benchConnections } from '../src/infra/connection-security.ts';
import { runKafkaTool, writeJavaClientConfig } from '../src/infra/java-tool.ts';
import {
  CONSUMER_PERFORMANCE,
  consumerPerformanceArgs,
  PRODUCER_PERFORMANCE,
  parseConsumerPerformance,
  parseProducerPerformance,
  producerPerformanceArgs,
} from '../src/kafka-tools.ts';

// Run by `pnpm test:secure` (with-secure-stack): Kafka's own perf tools, which the bench measures
// the services against, reach the SASL_SSL-only broker with the settings file the bench writes.
const RECORDS = 500;

describe("Kafka's perf tools against the secure stack", () => {
  const connections = benchConnections(process.env);
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
  const kafka = createBenchKafka(brokers, connections.tools);
  const topic = uniqueName('bench-secure-tools');
  const group = uniqueName('bench-secure-tools');
  let work: string;
  let config: { dir: string; file: string } | undefined;

  beforeAll(async () => {
    if (!connections.secured) throw new Error('run through with-secure-stack (pnpm test:secure)');
    work = mkdtempSync(join(tmpdir(), 'bench-secure-tools-'));
    config = writeJavaClientConfig(connections.tools);
    await kafka.createTopics([topic], { partitions: 8 });
  });
  afterAll(async () => {
    await kafka.deleteGroups([group]);
    await kafka.deleteTopics([topic]);
    await kafka.close();
    if (config) rmSync(config.dir, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('when the bench writes the tools their settings, then only its user can read them', () => {
    if (!config) throw new Error('no settings file for a secured broker');
    expect(statSync(config.dir).mode & 0o777).toBe(0o700);
    expect(statSync(config.file).mode & 0o777).toBe(0o600);
  });

  it('when ProducerPerformance and ConsumerPerformance use them, then every record goes through the secured listener', async () => {
    const payloadFile = join(work, 'payloads.txt');
    writeFileSync(
      payloadFile,
      `${Array.from({ length: 10 }, (_, i) => `{"n":${i}}`).join('\n')}\n`,
    );
    const produced = parseProducerPerformance(
      await runKafkaTool(
        PRODUCER_PERFORMANCE,
        producerPerformanceArgs({
          bootstrap: brokers.join(','),
          topic,
          records: RECORDS,
          payloadFile,
          configFile: config?.file,
          kafkaVersion: kafkaVersion(),
        }),
        { timeoutMs: 60_000 },
      ),
    );
    expect(produced.records).toBe(RECORDS);
    expect(await kafka.recordCount(topic)).toBe(RECORDS);

    const consumed = parseConsumerPerformance(
      await runKafkaTool(
        CONSUMER_PERFORMANCE,
        consumerPerformanceArgs({
          bootstrap: brokers.join(','),
          topic,
          records: RECORDS,
          group,
          timeoutMs: 30_000,
          configFile: config?.file,
          kafkaVersion: kafkaVersion(),
        }),
        { timeoutMs: 60_000 },
      ),
    );
    expect(consumed.records).toBe(RECORDS);
  }, 120_000);
});
