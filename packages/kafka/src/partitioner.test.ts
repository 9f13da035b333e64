import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { createMurmur2Partitioner, murmur2 } from './partitioner.ts';
import { MURMUR2_VECTORS } from './partitioner-vectors.ts';

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));

describe('murmur2', () => {
  it("when hashing Kafka's own test vectors (UtilsTest.testMurmur2), then it matches the Java client", () => {
    for (const [input, expected] of MURMUR2_VECTORS) {
      expect(murmur2(Buffer.from(input, 'utf8'))).toBe(expected);
    }
  });
});

describe('createMurmur2Partitioner', () => {
  it("when given keys of every length, then it picks the same partition as kafkajs' DefaultPartitioner", () => {
    const ours = createMurmur2Partitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 8, 64]) {
      const partitionMetadata = metadata(count);
      for (let i = 0; i < 500; i++) {
        const key = i % 2 === 0 ? randomUUID() : randomBytes(i % 37);
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
      }
    }
  });

  it('when a record names its partition, then that partition is kept', () => {
    const partition = createMurmur2Partitioner()({
      topic: 't',
      partitionMetadata: metadata(8),
      message: { key: 'k', value: 'v', partition: 5 },
    });
    expect(partition).toBe(5);
  });

  it('when a record has no key, then records spread over the available partitions', () => {
    const partitioner = createMurmur2Partitioner();
    const partitionMetadata = metadata(4).map((p) =>
      p.partitionId === 2 ? { ...p, leader: -1 } : p,
    );
    const seen = new Set(
      Array.from({ length: 12 }, () =>
        partitioner({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } }),
      ),
    );
    expect([...seen].sort()).toEqual([0, 1, 3]);
  });
});
