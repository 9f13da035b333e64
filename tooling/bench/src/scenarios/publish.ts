import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaVersion } from '@kafka-ecs/devstack';
import { KAFKA_LIBRARIES } from '@kafka-ecs/kafka';
import type { Scenario } from '../context.ts';
import { userCreatedRecord } from '../fixtures.ts';
import { runKafkaTool } from '../infra/java-tool.ts';
import { runPublishWorker } from '../infra/workers.ts';
import {
  PRODUCER_PERFORMANCE,
  parseProducerPerformance,
  producerPerformanceArgs,
} from '../kafka-tools.ts';
import { ceilingRatio, metric } from '../result-schema.ts';
import { figuresByLibrary, librarySuffix } from './client-libraries.ts';

/** The producer's defaults (PUBLISH_MAX_BATCH, PUBLISH_LINGER_MS, PUBLISH_TIMEOUT_MS). */
export const PRODUCER_DEFAULTS = { maxBatchSize: 500, lingerMs: 0, sendTimeoutMs: 5_000 };

/**
 * 1. The project's publisher (from its Kafka connection, as the producer configures it) at full
 * speed on each client library vs ProducerPerformance, each run on a fresh 8-partition topic,
 * ~300-byte JSON events, acks=all. Runs alternate between the three so drift in the machine's
 * load hits all alike.
 */
export const publishScenario: Scenario = {
  id: 'publish',
  title: '1. Publish path',
  async run(context) {
    const { options, tag } = context;
    const payloadFile = join(tmpdir(), `bench-${tag}-payloads.txt`);
    context.cleanup.files.push(payloadFile);
    writeFileSync(
      payloadFile,
      `${Array.from({ length: 1_000 }, (_, i) => userCreatedRecord(`pp-${tag}-`, i).value.toString()).join('\n')}\n`,
    );
    const byLibrary = figuresByLibrary();
    const reference: number[] = [];
    let failed = 0;
    let batchSizes = 0;
    for (let run = 0; run < options.runs; run++) {
      const referenceTopic = `bench-producer-perf-${tag}-${run}`;
      context.cleanup.topics.push(referenceTopic);
      await context.kafka.createTopics([referenceTopic]);
      const line: string[] = [];
      for (const library of KAFKA_LIBRARIES) {
        const topic = `bench-publish-${tag}-${library}-${run}`;
        context.cleanup.topics.push(topic);
        await context.kafka.createTopics([topic]);
        const report = await runPublishWorker(
          {
            brokers: context.brokers,
            topic,
            records: options.publishRecords,
            warmup: options.publishWarmup,
            concurrency: options.publishConcurrency,
            usernamePrefix: `pub-${tag}-`,
            library,
            ...PRODUCER_DEFAULTS,
          },
          { timeoutMs: 300_000, profileDir: context.profileDir },
        );
        failed += report.failed;
        const figures = byLibrary[library];
        figures.rates.push(report.recordsPerSecond);
        figures.cpuPerRecord.push(report.cpuMicros / report.records);
        figures.peakRss.push(report.peakRssMiB);
        if (library === 'kafkajs') batchSizes += report.records / Math.max(1, report.batches);
        line.push(`${library} ${Math.round(report.recordsPerSecond)}/s`);
        // The first run's kafkajs topic is kept for the consume scenario; the others go now.
        if (!context.filled) {
          context.filled = { topic, records: await context.kafka.recordCount(topic) };
        } else {
          await context.kafka.deleteTopics([topic]);
          context.cleanup.topics.splice(context.cleanup.topics.indexOf(topic), 1);
        }
      }

      const output = await runKafkaTool(
        PRODUCER_PERFORMANCE,
        producerPerformanceArgs({
          bootstrap: context.brokers.join(','),
          topic: referenceTopic,
          records: options.referenceRecords,
          payloadFile,
          configFile: context.javaClientConfig,
          kafkaVersion: kafkaVersion(),
        }),
        { timeoutMs: 300_000 },
      );
      reference.push(parseProducerPerformance(output).recordsPerSecond);
      context.log(
        `  run ${run + 1}: publisher ${line.join(', ')}, ProducerPerformance ${Math.round(reference.at(-1) ?? 0)}/s`,
      );
      await context.kafka.deleteTopics([referenceTopic]);
      context.cleanup.topics.splice(context.cleanup.topics.indexOf(referenceTopic), 1);
    }
    return {
      metrics: [
        ...KAFKA_LIBRARIES.flatMap((library) => {
          const figures = byLibrary[library];
          const suffix = librarySuffix(library);
          return [
            metric(`project publisher${suffix}`, 'records/s', figures.rates),
            // Issue #18's target: half of what Kafka's own producer does on this machine.
            ceilingRatio(
              `publish${suffix}`,
              `ratio project${suffix} / ProducerPerformance`,
              figures.rates,
              reference,
              { comparison: 'atLeast', value: 0.5 },
            ),
            metric(`publisher CPU per record${suffix}`, 'µs', figures.cpuPerRecord),
            metric(`publisher peak RSS${suffix}`, 'MiB', figures.peakRss),
          ];
        }),
        metric('ProducerPerformance', 'records/s', reference),
      ],
      checks: [
        {
          name: 'every publish acknowledged',
          ok: failed === 0,
          detail: `${failed} failed of ${options.publishRecords * options.runs}`,
        },
      ],
      notes: [
        `publisher: kafkajs (no suffix) and @platformatic/kafka ("platformatic"), each in a process of its own; ${options.publishRecords} records per run after ${options.publishWarmup} warm-up, ${options.publishConcurrency} publishes in flight, producer defaults (batch ≤ ${PRODUCER_DEFAULTS.maxBatchSize}, linger 0), ~${Math.round(batchSizes / options.runs)} records per send`,
        `ProducerPerformance: ${options.referenceRecords} records per run, its default producer settings, acks=all, the same kind of payloads (--payload-file)`,
      ],
    };
  },
};
