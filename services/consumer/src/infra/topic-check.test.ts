import type { TopicDescription } from '@kafka-ecs/kafka';
import { findTopicProblems } from './topic-check.ts';

const expected = {
  eventTopics: ['new-user-created', 'issued-token'],
  retryTopic: 'side-topic-for-retry',
  deadLetterTopic: 'dead-letter-queue',
  partitions: 8,
  retryChainMs: 5_460_000,
};
const topic = (
  name: string,
  partitions = 8,
  retention = '604800000',
  maxBytes = '1048588',
): TopicDescription => ({
  topic: name,
  partitions,
  config: { 'retention.ms': retention, 'max.message.bytes': maxBytes },
});

describe('the startup topic check', () => {
  it('when the four topics are as the contract says, then there is nothing to report', () => {
    const described = new Map(
      ['new-user-created', 'issued-token', 'side-topic-for-retry', 'dead-letter-queue'].map(
        (name) =>
          name.includes('-for-') || name.includes('dead-')
            ? [name, topic(name, 8, '604800000', '10485760')]
            : [name, topic(name, 8, '-1')],
      ),
    );
    expect(findTopicProblems(described, expected)).toEqual([]);
  });

  it('when a topic is missing, has other partition counts or a retention or record size limit too small for the failure path, then each is named', () => {
    const described = new Map<string, TopicDescription | null>([
      ['new-user-created', topic('new-user-created', 8, '-1', '5000000')],
      ['issued-token', null],
      ['side-topic-for-retry', topic('side-topic-for-retry', 3, '3600000')],
      ['dead-letter-queue', topic('dead-letter-queue', 8, '-1', '10485760')],
    ]);
    expect(findTopicProblems(described, expected)).toEqual([
      'topic issued-token does not exist',
      'topic side-topic-for-retry has 3 partitions, KAFKA_TOPIC_PARTITIONS is 8',
      'topic side-topic-for-retry accepts records up to 1048588 bytes, an event topic up to 5000000: a large failed record and its failure headers could not be moved there',
      'topic side-topic-for-retry keeps records for 3600000 ms, not longer than the retry schedule (5460000 ms): records could be deleted before they are retried or inspected',
    ]);
  });
});
