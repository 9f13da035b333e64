import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectRawProducer,
  createKafkaAdmin,
  ephemeralStart,
  freePort,
  type RawProducer,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';
import {
  ensureTopics,
  isAlive,
  type KafkaCluster,
  kafkaClusterStatus,
  stackClasspath,
  startKafkaCluster,
  stopKafkaCluster,
} from '../src/index.ts';
import { isListening } from '../src/processes.ts';
import { primeClasspath } from './prime-classpath.ts';
import { runStackCli } from './run-stack-cli.ts';

describe('a local three-broker cluster', () => {
  let dir: string;
  let cluster: KafkaCluster | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-'));
  });
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    // What the CLI test started, should it have failed before `down`.
    await stopKafkaCluster(join(dir, 'cluster'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('when one broker is killed, then acks=all writes go on; when it restarts, then it rejoins every ISR; stop leaves no process', async () => {
    cluster = await startKafkaCluster({ dir, classpath: await stackClasspath() });
    const { brokers } = cluster;
    const admin = createKafkaAdmin({ brokers, clientId: 'cluster-test', retries: 5 });
    const topic = 'new-user-created';
    // After a failed send kafkajs's idempotent producer can be left with sequence numbers the
    // broker refuses for good (OUT_OF_ORDER_SEQUENCE_NUMBER), so a failed send replaces it, as
    // the project's publisher does (packages/kafka/src/publisher.ts).
    let producer: RawProducer | undefined;
    const send = async (n: number) => {
      producer ??= await connectRawProducer({ brokers, idempotent: true });
      const current = producer;
      try {
        await current.send(
          topic,
          Array.from({ length: n }, (_, i) => ({ key: `k-${i}`, value: uniqueName() })),
        );
      } catch (error) {
        producer = undefined;
        await current.close().catch(() => {});
        throw error;
      }
    };
    const replicas = async () => (await admin.placement([topic])).get(topic) ?? [];
    try {
      // Each node's metadata catches up on its own (see waitForBrokers), hence a bounded wait.
      const listed = await waitFor(
        async () => {
          const ids = await admin.brokerIds();
          return ids.length === 3 ? ids : undefined;
        },
        { timeoutMs: 10_000, description: 'three brokers listed' },
      );
      expect(listed).toEqual([1, 2, 3]);
      await ensureTopics(cluster.brokers, 8, cluster.replicationFactor);
      const partitions = await replicas();
      expect(partitions).toHaveLength(8);
      for (const partition of partitions) {
        expect(partition.replicas).toHaveLength(3);
        expect(partition.isr).toHaveLength(3);
      }
      expect(await admin.topicConfig(topic, ['min.insync.replicas'])).toEqual({
        'min.insync.replicas': '2',
      });

      await send(50);
      const victim = cluster.nodes[0]?.nodeId ?? 1;
      await cluster.kill(victim);
      expect(cluster.nodes[0]?.pid()).toBeUndefined();
      await waitFor(
        async () => {
          await send(50);
          return true;
        },
        { timeoutMs: 30_000, description: 'acks=all writes with one broker down' },
      );

      await cluster.restart(victim);
      await waitFor(async () => (await replicas()).every((p) => p.isr.includes(victim)), {
        timeoutMs: 30_000,
        description: 'the restarted broker back in every ISR',
      });
    } finally {
      await producer?.close();
      await admin.close();
    }
    const pids = cluster.nodes.map((node) => node.pid()).filter((pid) => pid !== undefined);
    expect(pids).toHaveLength(3);
    await cluster.stop();
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    // 30-40 s quietly, up to ~75 s with the CPU taken by other test runs: about 3x that.
  }, 240_000);

  it('when started with `stack up --cluster`, then it prints the three brokers, and `down --cluster` stops them', async () => {
    const base = await waitFor(
      async () => {
        const port = await freePort();
        const taken = await Promise.all(
          [1, 2, 3, 4, 5].map((offset) => isListening('127.0.0.1', port + offset, 200)),
        );
        // All six below the ephemeral range, where no connection can take one as its source.
        return port + 5 < ephemeralStart() && !taken.some(Boolean) ? port : undefined;
      },
      { description: 'six free ports in a row' },
    );
    // Otherwise `stack up` runs Maven for this fresh folder before the three kafka-storage
    // formats (one JVM after another) and the three brokers' starts.
    await primeClasspath(dir);
    const env = { ...process.env, STACK_DIR: dir, KAFKA_CLUSTER_PORT: String(base) };
    // `up` takes 15-20 s quietly and up to ~40 s under load: the bounds are about 3x that, and
    // the test's own covers both commands plus a cold Maven run of the priming.
    const up = await runStackCli(['up', '--cluster'], env, 150_000);
    expect({ code: up.code, stderr: up.code === 0 ? '' : up.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(up.stdout.trim()).toBe(
      `KAFKA_BROKERS=127.0.0.1:${base},127.0.0.1:${base + 2},127.0.0.1:${base + 4}`,
    );
    const nodes = kafkaClusterStatus(join(dir, 'cluster'));
    expect(nodes.every((node) => node.pid !== undefined)).toBe(true);

    const down = await runStackCli(['down', '--cluster'], env, 150_000);
    expect(down.code).toBe(0);
    expect(nodes.filter((node) => node.pid !== undefined && isAlive(node.pid))).toEqual([]);
  }, 240_000);
});
