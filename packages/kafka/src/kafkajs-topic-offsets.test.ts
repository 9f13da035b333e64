import { createRequire } from 'node:module';

// patches/kafkajs@2.2.4.patch makes kafkajs' admin ask a topic's offsets again, after a metadata
// refresh, when a broker answers with stale metadata of any kind: right after a create on a
// cluster of several brokers, the broker named leader answers NOT_LEADER_FOR_PARTITION until its
// metadata catches up, and the library gave up at once (10 of 20 rounds of create-then-lag on
// the local three-broker cluster failed so). The cluster here is a stand-in that answers as
// such a broker does; the admin is kafkajs' own.
const require = createRequire(import.meta.url);
const createAdmin = require('kafkajs/src/admin');
const { createLogger, LEVELS } = require('kafkajs/src/loggers');
const { KafkaJSProtocolError } = require('kafkajs/src/errors');
const { createErrorFromCode } = require('kafkajs/src/protocol/error');

const NOT_LEADER_FOR_PARTITION = 6;
const TOPIC_AUTHORIZATION_FAILED = 29;

/** A cluster whose first `failures` ListOffsets answers are `code`; counts metadata refreshes. */
function clusterAnswering(code: number, failures: number) {
  let left = failures;
  const cluster = {
    refreshes: 0,
    requests: 0,
    addTargetTopic: async () => {},
    refreshMetadataIfNecessary: async () => {},
    refreshMetadata: async () => {
      cluster.refreshes += 1;
    },
    findTopicPartitionMetadata: () => [{ partitionId: 0 }, { partitionId: 1 }],
    fetchTopicsOffset: async (topics: { topic: string; fromBeginning: boolean }[]) => {
      cluster.requests += 1;
      if (left > 0) {
        left -= 1;
        throw createErrorFromCode(code);
      }
      const offset = topics[0]?.fromBeginning ? '0' : '5';
      return [
        { topic: topics[0]?.topic, partitions: [0, 1].map((partition) => ({ partition, offset })) },
      ];
    },
  };
  return cluster;
}

function adminOver(cluster: ReturnType<typeof clusterAnswering>) {
  return createAdmin({
    cluster,
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    retry: { retries: 3, initialRetryTime: 1, maxRetryTime: 5 },
  });
}

describe("kafkajs' admin asking a topic's offsets (patched)", () => {
  it('when the leader answers NOT_LEADER_FOR_PARTITION for a moment, then it refreshes its metadata and asks again', async () => {
    const cluster = clusterAnswering(NOT_LEADER_FOR_PARTITION, 2);
    const offsets = await adminOver(cluster).fetchTopicOffsets('t');
    expect(offsets).toEqual([
      { partition: 0, offset: '5', high: '5', low: '0' },
      { partition: 1, offset: '5', high: '5', low: '0' },
    ]);
    expect(cluster.refreshes).toBe(2);
  });

  it('when the answer is not about stale metadata, then it gives up at once, as before', async () => {
    const cluster = clusterAnswering(TOPIC_AUTHORIZATION_FAILED, 1);
    const asked = adminOver(cluster).fetchTopicOffsets('t');
    await expect(asked).rejects.toBeInstanceOf(KafkaJSProtocolError);
    await expect(asked).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(cluster.requests).toBe(1);
    expect(cluster.refreshes).toBe(0);
  });
});
