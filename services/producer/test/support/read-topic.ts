import { testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { Kafka, logLevel } from 'kafkajs';

export interface ReadRecord {
  topic: string;
  partition: number;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Reads `topic` from the beginning with a group of its own until `count` records arrived (or the
 * bound passes), then disconnects.
 */
export async function readTopic(
  topic: string,
  count: number,
  options: { timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const kafka = new Kafka({
    brokers: testInfrastructure().kafkaBrokers,
    clientId: 'producer-test-reader',
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const records: ReadRecord[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          topic,
          partition,
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          ),
        });
      },
    });
    await waitFor(() => records.length >= count, {
      timeoutMs: options.timeoutMs ?? 20_000,
      description: `${count} records on ${topic}`,
    });
    return records;
  } finally {
    await consumer.disconnect();
  }
}
