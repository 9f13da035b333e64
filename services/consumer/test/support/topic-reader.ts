import { uniqueName } from '@kafka-ecs/testing';
import type { Consumer } from 'kafkajs';
import { rawKafka } from './harness.ts';

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Follows a topic from its beginning in a group of its own, read-committed (as every consumer
 * of the system reads), collecting what arrives; `records` grows as the test runs.
 */
export async function followTopic(topic: string): Promise<{
  records: ReadRecord[];
  stop(): Promise<void>;
}> {
  const records: ReadRecord[] = [];
  const consumer: Consumer = rawKafka().consumer({
    groupId: uniqueName('test-reader'),
    readUncommitted: false,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        if (value !== undefined) headers[name] = String(value);
      }
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value,
        headers,
      });
    },
  });
  return { records, stop: () => consumer.disconnect() };
}
