import { murmur2 } from './support/murmur2.ts';

describe('reference murmur2', () => {
  it("when hashing Kafka's own test vectors, then it matches the Java client", () => {
    // From Kafka's UtilsTest.testMurmur2.
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [input, expected] of vectors) {
      expect(murmur2(Buffer.from(input, 'utf8'))).toBe(expected);
    }
  });
});
