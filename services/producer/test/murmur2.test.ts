// Kafka's UtilsTest.testMurmur2 vectors, kept once next to the publisher's partitioner.
import { MURMUR2_VECTORS } from '../../../packages/kafka/src/partitioner-vectors.ts';
import { murmur2 } from './support/murmur2.ts';

describe('reference murmur2', () => {
  it("when hashing Kafka's own test vectors, then it matches the Java client", () => {
    for (const [input, expected] of MURMUR2_VECTORS) {
      expect(murmur2(Buffer.from(input, 'utf8'))).toBe(expected);
    }
  });
});
