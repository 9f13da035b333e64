import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils#murmur2) in 32-bit integer arithmetic.
 * Same result as kafkajs' version, which emulates it with a 64-bit Long library and was the
 * publisher's largest per-record cost after encoding (pnpm bench, docs/performance.md).
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i << 2;
    let k =
      (data[at] as number) |
      ((data[at + 1] as number) << 8) |
      ((data[at + 2] as number) << 16) |
      ((data[at + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const base = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= (data[base + 2] as number) << 16;
  if (rest >= 2) h ^= (data[base + 1] as number) << 8;
  if (rest >= 1) h = Math.imul(h ^ (data[base] as number), M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Kafka's default partitioning for keyed records, as the Java client does it:
 * `toPositive(murmur2(key)) % partitions` over all partitions of the topic. A record with an
 * explicit partition keeps it; one without a key goes round-robin over the available partitions
 * (the publisher always has a key). Equivalent to kafkajs' DefaultPartitioner, without its
 * per-record Long arithmetic and array filtering.
 */
export const createMurmur2Partitioner: ICustomPartitioner = () => {
  let counter = 0;
  return ({ partitionMetadata, message }: PartitionerArgs) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined) {
      const bytes = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
      return (murmur2(bytes) & 0x7fffffff) % partitionMetadata.length;
    }
    const available = partitionMetadata.filter((partition) => partition.leader >= 0);
    const pool = available.length > 0 ? available : partitionMetadata;
    counter = (counter + 1) & 0x7fffffff;
    return (pool[counter % pool.length] as (typeof pool)[number]).partitionId;
  };
};
