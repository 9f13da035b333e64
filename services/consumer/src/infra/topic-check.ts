import { TOPIC_CONFIG, Topics } from '@kafka-ecs/events';
import type { KafkaConnection, TopicDescription } from '@kafka-ecs/kafka';
import type { Logger } from 'pino';

export interface TopicExpectations {
  eventTopics: string[];
  retryTopic: string;
  deadLetterTopic: string;
  partitions: number;
  /** The longest a failure chain can take (every retry delay added up). */
  retryChainMs: number;
}

/**
 * What is wrong with the topics for this consumer, one sentence each (empty when nothing is):
 * a missing topic; a partition count other than configured (per-user order and the retry
 * topic's spread both assume it); a retry or dead-letter topic whose retention could delete a
 * record before its retries are over.
 */
export function findTopicProblems(
  described: Map<string, TopicDescription | null>,
  expected: TopicExpectations,
): string[] {
  const problems: string[] = [];
  const all = [...expected.eventTopics, expected.retryTopic, expected.deadLetterTopic];
  for (const topic of all) {
    const description = described.get(topic);
    if (!description) {
      problems.push(`topic ${topic} does not exist`);
      continue;
    }
    if (description.partitions !== expected.partitions) {
      problems.push(
        `topic ${topic} has ${description.partitions} partitions, KAFKA_TOPIC_PARTITIONS is ${expected.partitions}`,
      );
    }
  }
  // A record an event topic accepts must fit on the retry and dead-letter topics, or its
  // failure could not be written and would hold its partition.
  const largest = Math.max(
    ...expected.eventTopics.map((topic) => maxRecordBytes(described.get(topic))),
  );
  for (const topic of [expected.retryTopic, expected.deadLetterTopic]) {
    const limit = maxRecordBytes(described.get(topic));
    if (described.get(topic) && limit < largest + FAILURE_HEADROOM_BYTES) {
      problems.push(
        `topic ${topic} accepts records up to ${limit} bytes, an event topic up to ${largest}: a large failed record and its failure headers could not be moved there`,
      );
    }
    const retention = Number(described.get(topic)?.config['retention.ms'] ?? -1);
    if (retention >= 0 && retention <= expected.retryChainMs) {
      problems.push(
        `topic ${topic} keeps records for ${retention} ms, not longer than the retry schedule (${expected.retryChainMs} ms): records could be deleted before they are retried or inspected`,
      );
    }
  }
  return problems;
}

/** Room for the failure headers a retry record or dead letter adds (about 1.3 KB) and more. */
const FAILURE_HEADROOM_BYTES = 64 * 1024;

const maxRecordBytes = (description: TopicDescription | null | undefined): number =>
  Number(description?.config['max.message.bytes'] ?? 0);

/**
 * Creates the topics that are missing (with the contract's settings), then checks them. With
 * `refuse`, a problem stops the start; with `warn` it is logged and the consumer runs.
 */
export async function prepareTopics(options: {
  kafka: KafkaConnection;
  logger: Logger;
  expected: TopicExpectations;
  mode: 'warn' | 'refuse';
}): Promise<void> {
  const { expected, logger } = options;
  const described = await options.kafka.ensureAndDescribeTopics(
    [
      ...expected.eventTopics.map((topic) => ({
        topic,
        partitions: expected.partitions,
        config: TOPIC_CONFIG[Topics.newUserCreated],
      })),
      {
        topic: expected.retryTopic,
        partitions: expected.partitions,
        config: TOPIC_CONFIG[Topics.retry],
      },
      {
        topic: expected.deadLetterTopic,
        partitions: expected.partitions,
        config: TOPIC_CONFIG[Topics.deadLetter],
      },
    ],
    ['retention.ms', 'max.message.bytes'],
  );
  const problems = findTopicProblems(described, expected);
  for (const problem of problems) logger.warn({ topicCheck: options.mode }, problem);
  if (problems.length > 0 && options.mode === 'refuse') {
    throw new Error(`topic check failed (TOPIC_CHECK=refuse): ${problems.join('; ')}`);
  }
}
