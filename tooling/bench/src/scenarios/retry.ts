import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@kafka-ecs/devstack';
import { KafkaEcsError } from '@kafka-ecs/errors';
import { FailureHeaders, TOPIC_CONFIG, Topics } from '@kafka-ecs/events';
import { createKafkaConnection } from '@kafka-ecs/kafka';
import { waitFor } from '@kafka-ecs/testing';
import type { BenchContext, Scenario } from '../context.ts';
import { userCreatedRecord } from '../fixtures.ts';
import type { ReadRecord } from '../infra/bench-kafka.ts';
import { waitForCount } from '../infra/progress.ts';
import { type Check, metric } from '../result-schema.ts';
import { consumerEnv, launch, shutdown } from './launch.ts';

const BACKOFF = { RETRY_BACKOFF_MS: '1', RETRY_BACKOFF_FACTOR: '2', RETRY_BACKOFF_MAX_MS: '10' };

/**
 * 7. The retry path: N events whose handler always fails (fault injection), with millisecond
 * backoff. Timed from the first publish until the dead-letter topic holds N records; then every
 * dead letter is read back and checked: one per event, `x-attempt` = RETRY_MAX_ATTEMPTS, reason
 * `exhausted`, this group, this input topic. Fault injection is off in production, so this
 * consumer runs the built code with NODE_ENV=test; its topics are the run's own.
 */
export const retryScenario: Scenario = {
  id: 'retry',
  title: '7. Retry path (always failing → dead letters)',
  async run(context) {
    const { options, tag } = context;
    if (!builtConsumerHasRetries()) {
      throw new SkipScenario(
        'the built consumer has no retry path (issue #5): no DEAD_LETTER_TOPIC in services/consumer/dist',
      );
    }
    const seconds: number[] = [];
    const rates: number[] = [];
    const checks: Check[] = [];
    for (let run = 0; run < options.retryRuns; run++) {
      const result = await retryRun(context, `${tag}-${run}`);
      seconds.push(result.seconds);
      rates.push(options.retryEvents / result.seconds);
      checks.push(
        ...result.checks.map((check) => ({ ...check, name: `run ${run + 1}: ${check.name}` })),
      );
      context.log(
        `  run ${run + 1}: ${options.retryEvents} dead letters after ${result.seconds.toFixed(1)} s`,
      );
    }
    return {
      metrics: [
        metric('time until all are dead letters', 's', seconds),
        metric('dead letters/s', 'events/s', rates),
      ],
      checks,
      notes: [
        `${options.retryEvents} events, FAULT_INJECT_FAILURES=always, RETRY_MAX_ATTEMPTS=${options.retryMaxAttempts}, backoff ${BACKOFF.RETRY_BACKOFF_MS} ms × ${BACKOFF.RETRY_BACKOFF_FACTOR}^(n-1) capped at ${BACKOFF.RETRY_BACKOFF_MAX_MS} ms; consumer built, NODE_ENV=test (fault injection is ignored in production)`,
      ],
    };
  },
};

/** Thrown when a scenario cannot run here; the runner reports it as skipped. */
export class SkipScenario extends KafkaEcsError {}

function builtConsumerHasRetries(): boolean {
  const dist = join(repoRoot(), 'services', 'consumer', 'dist');
  try {
    return readdirSync(dist).some(
      (file) =>
        file.endsWith('.js') &&
        readFileSync(join(dist, file), 'utf8').includes('DEAD_LETTER_TOPIC'),
    );
  } catch {
    return false;
  }
}

async function retryRun(context: BenchContext, runTag: string) {
  const { options } = context;
  const topics = {
    input: `bench-retry-in-${runTag}`,
    retry: `bench-retry-side-${runTag}`,
    deadLetter: `bench-retry-dlq-${runTag}`,
  };
  context.cleanup.topics.push(topics.input, topics.retry, topics.deadLetter);
  await context.kafka.createTopics([topics.input, topics.retry, topics.deadLetter], {
    configs: {
      [topics.retry]: TOPIC_CONFIG[Topics.retry],
      [topics.deadLetter]: TOPIC_CONFIG[Topics.deadLetter],
    },
  });
  const groupId = `bench-retry-${runTag}`;
  const usernamePrefix = `rf-${runTag}-`;
  const consumer = await launch(
    context,
    'consumer',
    consumerEnv(context, {
      NODE_ENV: 'test',
      CONSUMER_GROUP_ID: groupId,
      CONSUMER_TOPICS: topics.input,
      VIEW_KEY_PREFIX: `bench-${runTag}-view-retry`,
      RETRY_TOPIC: topics.retry,
      DEAD_LETTER_TOPIC: topics.deadLetter,
      RETRY_MAX_ATTEMPTS: String(options.retryMaxAttempts),
      ...BACKOFF,
      FAULT_INJECT_USERNAME_PATTERN: `^${usernamePrefix.replaceAll('.', '\\.')}`,
      FAULT_INJECT_FAILURES: 'always',
    }),
  );
  const eventIds = new Set<string>();
  // Dead letters are written in Kafka transactions, whose commit markers take offsets too: they
  // are counted as they are delivered, not from the end offsets.
  const deadLetters: ReadRecord[] = [];
  let lastArrival = Number.NaN;
  const follower = await context.kafka.follow(topics.deadLetter, (record) => {
    deadLetters.push(record);
    lastArrival = performance.now();
  });
  let seconds = Number.NaN;
  try {
    try {
      const records = Array.from({ length: options.retryEvents }, (_, i) => {
        const record = userCreatedRecord(usernamePrefix, i);
        eventIds.add(record.headers['event-id'] as string);
        return record;
      });
      const publisher = createKafkaConnection({
        brokers: context.brokers,
        clientId: 'bench-retry-publisher',
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        security: context.connections.kafka,
      }).publisher();
      const started = performance.now();
      try {
        await Promise.all(
          records.map((record) => publisher.publish({ topic: topics.input, ...record })),
        );
      } finally {
        await publisher.stop();
      }
      await waitForCount(() => Promise.resolve(deadLetters.length), options.retryEvents, {
        stallMs: 60_000,
        maxMs: 900_000,
        intervalMs: 50,
        description: 'every event dead-lettered',
      });
      seconds = (lastArrival - started) / 1000;
    } finally {
      await shutdown(context, consumer);
    }
    // Read to the end after the consumer stopped: a duplicate dead letter would show up as one
    // too many.
    const ends = await context.kafka.endOffsets(topics.deadLetter);
    await waitFor(() => follower.caughtUp(ends), {
      timeoutMs: 60_000,
      description: 'dead-letter topic read to its end',
    });
  } finally {
    await follower.stop();
  }
  return {
    seconds,
    checks: verify(deadLetters, {
      eventIds,
      groupId,
      inputTopic: topics.input,
      attempts: options.retryMaxAttempts,
    }),
  };
}

function verify(
  deadLetters: readonly ReadRecord[],
  expected: { eventIds: Set<string>; groupId: string; inputTopic: string; attempts: number },
): Check[] {
  const seen = new Map<string, number>();
  const wrong: string[] = [];
  for (const record of deadLetters) {
    const id = (JSON.parse(record.value?.toString() ?? '{}') as { id?: string }).id ?? '?';
    seen.set(id, (seen.get(id) ?? 0) + 1);
    const h = record.headers;
    const problems = [
      h[FailureHeaders.attempt] !== String(expected.attempts) &&
        `x-attempt ${h[FailureHeaders.attempt]}`,
      h[FailureHeaders.deadLetterReason] !== 'exhausted' &&
        `reason ${h[FailureHeaders.deadLetterReason]}`,
      h[FailureHeaders.consumerGroup] !== expected.groupId &&
        `group ${h[FailureHeaders.consumerGroup]}`,
      h[FailureHeaders.originalTopic] !== expected.inputTopic &&
        `topic ${h[FailureHeaders.originalTopic]}`,
    ].filter(Boolean);
    if (problems.length > 0 && wrong.length < 5) wrong.push(`${id}: ${problems.join(', ')}`);
  }
  const missing = [...expected.eventIds].filter((id) => !seen.has(id)).length;
  const duplicated = [...seen.values()].filter((count) => count > 1).length;
  const unexpected = [...seen.keys()].filter((id) => !expected.eventIds.has(id)).length;
  return [
    {
      name: 'one dead letter per event',
      ok: missing === 0 && duplicated === 0 && unexpected === 0,
      detail: `${deadLetters.length} dead letters for ${expected.eventIds.size} events: ${missing} missing, ${duplicated} duplicated, ${unexpected} unexpected`,
    },
    {
      name: `each has x-attempt=${expected.attempts}, reason exhausted, its group and topic`,
      ok: wrong.length === 0,
      detail: wrong.length === 0 ? 'all' : wrong.join('; '),
    },
  ];
}
