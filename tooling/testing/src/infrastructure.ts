/**
 * Where the tests' Kafka and Redis are: set by the global setup, or by the caller when it points
 * the tests at another stack (e.g. docker compose on the same ports).
 */
export function testInfrastructure(): { kafkaBrokers: string[]; redisUrl: string } {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  return {
    kafkaBrokers: brokers.split(',').map((broker) => broker.trim()),
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
