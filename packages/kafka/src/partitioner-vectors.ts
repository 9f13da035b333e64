/**
 * Kafka's own murmur2 test vectors (UtilsTest.testMurmur2 in the Java client): input string
 * (UTF-8) and the signed 32-bit hash. Shared by every murmur2 in the repo's tests (this
 * package's and the producer tests' independent reference).
 */
export const MURMUR2_VECTORS: readonly (readonly [input: string, hash: number])[] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];
