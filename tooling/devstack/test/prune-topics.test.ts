import { mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaAdmin, testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { pruneStaleTopics } from '../src/prune-topics.ts';

const { kafkaBrokers } = testInfrastructure();
const admin = createKafkaAdmin({ brokers: kafkaBrokers, clientId: 'prune-test' });

/**
 * A stand-in for the broker's data folder (the shared stack's real one holds other runs' topics,
 * which this test must not delete): partition folders named as Kafka names them, with the times
 * the test sets. The topics themselves are real, on the shared broker.
 */
describe('pruning the topics tests left behind', () => {
  let dataDir: string;
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  const partitionFolder = (topic: string, partition: number, at?: Date) => {
    const folder = join(dataDir, `${topic}-${partition}`);
    mkdirSync(folder, { recursive: true });
    if (at) utimesSync(folder, at, at);
  };
  afterAll(() => admin.close());
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'prune-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('when the broker holds few partitions, then nothing is looked at or deleted', async () => {
    const stale = uniqueName('prune-few');
    await admin.createTopics([{ topic: stale, partitions: 1 }]);
    partitionFolder(stale, 0, twoHoursAgo);
    expect(await pruneStaleTopics({ brokers: kafkaBrokers, dataDir })).toEqual([]);
    expect(await admin.listTopics()).toContain(stale);
  });

  it('when it holds thousands, then only the test topics untouched for an hour are deleted', async () => {
    const stale = uniqueName('prune-stale');
    const fresh = uniqueName('prune-fresh');
    await admin.createTopics([stale, fresh].map((topic) => ({ topic, partitions: 2 })));
    for (const partition of [0, 1]) {
      partitionFolder(stale, partition, twoHoursAgo);
      partitionFolder(fresh, partition);
    }
    partitionFolder('new-user-created', 0, twoHoursAgo); // the contract's topics always stay
    partitionFolder('__consumer_offsets', 0, twoHoursAgo); // and Kafka's own
    for (let i = 0; i < 4_000; i++) partitionFolder(`${fresh}-filler`, i);

    expect(await pruneStaleTopics({ brokers: kafkaBrokers, dataDir })).toEqual([stale]);
    await waitFor(async () => !(await admin.listTopics()).includes(stale), {
      timeoutMs: 15_000,
      description: 'the stale topic gone from the broker',
    });
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([fresh, 'new-user-created']));
  });
});
