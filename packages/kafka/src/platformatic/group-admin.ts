import { Admin } from '@platformatic/kafka';
import { type GroupAdmin, lagOf, partitionKey } from '../group-admin.ts';
import { type PlatformaticClientOptions, platformaticBaseOptions } from './client.ts';

// ListOffsets' "latest" and "earliest" timestamps: the high watermark, the log start.
const LATEST = -1n;
const EARLIEST = -2n;

/** The group admin on @platformatic/kafka: the same answers as the kafkajs one. */
export function createPlatformaticGroupAdmin(options: PlatformaticClientOptions): GroupAdmin {
  let admin: Admin | undefined;
  const client = () => {
    admin ??= new Admin(platformaticBaseOptions(options));
    return admin;
  };

  /** Per topic, each partition's offset at `timestamp`, indexed by partition. */
  const listOffsets = async (topics: string[], timestamp: bigint) => {
    const { topics: known } = await client().metadata({ topics, forceUpdate: true });
    const listed = await client().listOffsets({
      topics: topics.map((name) => ({
        name,
        partitions: Array.from({ length: known.get(name)?.partitionsCount ?? 0 }, (_, index) => ({
          partitionIndex: index,
          timestamp,
        })),
      })),
    });
    const byTopic = new Map<string, string[]>();
    for (const { name, partitions } of listed) {
      const ends: string[] = [];
      for (const { partitionIndex, offset } of partitions) ends[partitionIndex] = offset.toString();
      byTopic.set(name, ends);
    }
    return byTopic;
  };

  const latest = (topics: string[]) => listOffsets(topics, LATEST);
  const byPartition = async (topics: string[], timestamp: bigint) => {
    const found = new Map<string, string>();
    for (const [topic, offsets] of await listOffsets(topics, timestamp)) {
      for (const [partition, offset] of offsets.entries()) {
        found.set(partitionKey(topic, partition), offset);
      }
    }
    return found;
  };

  return {
    endOffsets: (topics) => byPartition(topics, LATEST),
    startOffsets: (topics) => byPartition(topics, EARLIEST),
    async lag(groupId, topics) {
      const ends = await latest(topics);
      if (ends.size === 0) return [];
      const [group] = await client().listConsumerGroupOffsets({
        groups: [
          {
            groupId,
            topics: [...ends].map(([name, offsets]) => ({
              name,
              partitionIndexes: offsets.map((_, partition) => partition),
            })),
          },
        ],
      });
      // Every partition asked comes back, -1 where the group never committed.
      const committed = new Map<string, string | null>();
      for (const { name, partitions } of group?.topics ?? []) {
        for (const { partitionIndex, committedOffset } of partitions) {
          const position = committedOffset < 0n ? null : committedOffset.toString();
          committed.set(partitionKey(name, partitionIndex), position);
        }
      }
      return lagOf(
        groupId,
        [...ends].flatMap(([topic, offsets]) =>
          offsets.map((end, partition) => ({ topic, partition, end })),
        ),
        committed,
      );
    },
    async deleteGroup(groupId) {
      await client().deleteGroups({ groups: [groupId] });
    },
    async disconnect() {
      const open = admin;
      admin = undefined;
      await open?.close();
    },
  };
}
