import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaAdmin, freePort } from '@kafka-ecs/testing';
import { StackError } from './errors.ts';
import {
  type KafkaVoter,
  newClusterId,
  runningBrokerPid,
  startKafkaBroker,
  stopKafkaBroker,
} from './kafka-broker.ts';
import { stopProcess } from './processes.ts';
import { holdsInARow } from './steady.ts';

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;

export interface KafkaClusterOptions {
  /** Folder of the cluster: one sub-folder per node (`node-1`, …) and `cluster.json`. */
  dir: string;
  /** The Java classpath of the broker (see `kafkaClasspath`). */
  classpath: string;
  /** Number of combined broker+controller nodes, all voters. @defaultValue 3 */
  size?: number;
  /** Replicas of every topic, internal ones included. @defaultValue size */
  replicationFactor?: number;
  /** `min.insync.replicas`. @defaultValue replicationFactor - 1 (at least 1) */
  minInsyncReplicas?: number;
  /** Client and controller ports, one pair per node. @defaultValue free ports picked now */
  ports?: { port: number; controllerPort: number }[];
  /** Bound on every node being RUNNING and the cluster seeing all of them. @defaultValue 120_000 */
  readyTimeoutMs?: number;
}

export interface KafkaNode {
  nodeId: number;
  /** `host:port` of its client listener. */
  address: string;
  port: number;
  controllerPort: number;
  dir: string;
  /** Its PID while it runs (started by this cluster), else undefined. */
  pid(): number | undefined;
}

export interface KafkaCluster {
  /** Every node's client address: the bootstrap list for clients (`KAFKA_BROKERS`). */
  brokers: string[];
  nodes: KafkaNode[];
  replicationFactor: number;
  minInsyncReplicas: number;
  /**
   * Signals one node (SIGKILL by default: no controlled shutdown) and waits until it is gone,
   * with SIGKILL after 30 s for SIGTERM, 5 s for another signal.
   */
  kill(nodeId: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again, on its ports and data; resolves once it is RUNNING. */
  restart(nodeId: number): Promise<void>;
  /**
   * Stops every node that still runs: SIGTERM, then SIGKILL past `graceMs` (0 for a cluster
   * whose data is thrown away next). @defaultValue graceMs 5_000
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** What `cluster.json` records, so a later command (the CLI's `down`) finds the same nodes. */
interface ClusterLayout {
  clusterId: string;
  replicationFactor: number;
  minInsyncReplicas: number;
  nodes: { nodeId: number; port: number; controllerPort: number }[];
}

/**
 * Starts (or finds running) a local KRaft cluster of combined broker+controller nodes with a
 * static quorum, each node on its own ports in its own folder: the shape of a production cluster
 * (replication factor 3, `min.insync.replicas=2` by default) on loopback, for tests that kill
 * brokers. Every node is started at once, since none becomes ready before a quorum is up.
 */
export async function startKafkaCluster(options: KafkaClusterOptions): Promise<KafkaCluster> {
  const layout = await clusterLayout(options);
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const voters: KafkaVoter[] = layout.nodes.map((node) => ({
    nodeId: node.nodeId,
    host: HOST,
    controllerPort: node.controllerPort,
  }));
  const nodes: KafkaNode[] = layout.nodes.map((node) => {
    const dir = join(options.dir, `node-${node.nodeId}`);
    return {
      ...node,
      address: `${HOST}:${node.port}`,
      dir,
      pid: () => runningBrokerPid(dir),
    };
  });
  const nodeById = (nodeId: number): KafkaNode => {
    const node = nodes.find((candidate) => candidate.nodeId === nodeId);
    if (!node) throw new StackError(`the cluster has no node ${nodeId}`);
    return node;
  };
  const startNode = (node: KafkaNode) =>
    startKafkaBroker({
      dir: node.dir,
      classpath: options.classpath,
      host: HOST,
      port: node.port,
      controllerPort: node.controllerPort,
      readyTimeoutMs,
      nodeId: node.nodeId,
      voters,
      clusterId: layout.clusterId,
      replicationFactor: layout.replicationFactor,
      minInsyncReplicas: layout.minInsyncReplicas,
    });
  const brokers = nodes.map((node) => node.address);

  const stop = async ({ graceMs = STOP_GRACE_MS }: { graceMs?: number } = {}) => {
    await stopClusterNodes(
      nodes.map((node) => node.dir),
      graceMs,
    );
  };
  try {
    const results = await Promise.allSettled(
      nodes.filter((node) => node.pid() === undefined).map((node) => startNode(node)),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await waitForBrokers(brokers, nodes.length, readyTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    brokers,
    nodes,
    replicationFactor: layout.replicationFactor,
    minInsyncReplicas: layout.minInsyncReplicas,
    async kill(nodeId, signal = 'SIGKILL') {
      const pid = nodeById(nodeId).pid();
      // SIGTERM: a controlled shutdown, which may take a while; anything else should be quick.
      if (pid !== undefined) await stopProcess(pid, signal === 'SIGTERM' ? 30_000 : 5_000, signal);
    },
    async restart(nodeId) {
      const node = nodeById(nodeId);
      if (node.pid() !== undefined) return;
      await startNode(node);
      await waitForBrokers(brokers, nodes.length, readyTimeoutMs);
    },
    stop,
  };
}

/** Stops the nodes of the cluster in `dir` (by their PID files); false when none ran. */
export async function stopKafkaCluster(dir: string): Promise<boolean> {
  const layout = readLayout(dir);
  if (!layout) return false;
  return stopClusterNodes(layout.nodes.map((node) => join(dir, `node-${node.nodeId}`)));
}

/**
 * Stops nodes all at once. A node's controlled shutdown needs a controller quorum, which the
 * last nodes of a cluster going down no longer have, so the grace is short before SIGKILL (the
 * data is safe in the page cache; this is a local cluster).
 */
async function stopClusterNodes(dirs: string[], graceMs = STOP_GRACE_MS): Promise<boolean> {
  const stopped = await Promise.all(dirs.map((dir) => stopKafkaBroker(dir, graceMs)));
  return stopped.some(Boolean);
}

/** The client addresses of the cluster recorded in `dir`, and which of its nodes run. */
export function kafkaClusterStatus(
  dir: string,
): { nodeId: number; address: string; pid: number | undefined }[] {
  return (readLayout(dir)?.nodes ?? []).map((node) => ({
    nodeId: node.nodeId,
    address: `${HOST}:${node.port}`,
    pid: runningBrokerPid(join(dir, `node-${node.nodeId}`)),
  }));
}

/** The recorded layout when the folder already holds a cluster, else a new one (and records it). */
async function clusterLayout(options: KafkaClusterOptions): Promise<ClusterLayout> {
  const existing = readLayout(options.dir);
  if (existing) return existing;
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1) {
    throw new StackError(`a Kafka cluster needs at least one node, got ${size}`);
  }
  const replicationFactor = options.replicationFactor ?? size;
  const minInsyncReplicas = options.minInsyncReplicas ?? Math.max(1, replicationFactor - 1);
  if (replicationFactor > size || minInsyncReplicas > replicationFactor) {
    throw new StackError(
      `replication factor ${replicationFactor} and min.insync.replicas ${minInsyncReplicas} do not fit ${size} nodes`,
    );
  }
  const ports = options.ports ?? [];
  const nodes: ClusterLayout['nodes'] = [];
  for (let index = 0; index < size; index++) {
    nodes.push({
      nodeId: index + 1,
      port: ports[index]?.port ?? (await freePort()),
      controllerPort: ports[index]?.controllerPort ?? (await freePort()),
    });
  }
  const layout = { clusterId: newClusterId(), replicationFactor, minInsyncReplicas, nodes };
  mkdirSync(options.dir, { recursive: true });
  writeFileSync(join(options.dir, 'cluster.json'), `${JSON.stringify(layout, null, 2)}\n`);
  return layout;
}

function readLayout(dir: string): ClusterLayout | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterLayout;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the nodes' metadata lists `count` brokers. Metadata reaches the nodes one by one:
 * right after the last broker is unfenced, the other nodes can still list one broker fewer for a
 * few hundred milliseconds (seen in 1 of 8 runs of the cluster test). kafkajs sends each request
 * to whichever node it likes, so one answer says nothing of the others: the listing must hold for
 * several polls in a row through a client seeded with each node.
 */
const STABLE_POLLS = 4;

async function waitForBrokers(brokers: string[], count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const seen = await Promise.all(
    brokers.map(async (broker) => {
      const admin = createKafkaAdmin({
        brokers: [broker],
        clientId: 'devstack-cluster',
        connectionTimeoutMs: 2_000,
        requestTimeoutMs: 5_000,
        retries: 0,
      });
      let listed = 0;
      const listsAll = async () => {
        try {
          listed = (await admin.brokerIds()).length;
          return listed >= count;
        } catch {
          return false; // Not yet: the node is still joining, or is being restarted.
        }
      };
      try {
        const steady = await holdsInARow(listsAll, {
          times: STABLE_POLLS,
          intervalMs: 250,
          deadline,
        });
        return { steady, listed };
      } finally {
        await admin.close();
      }
    }),
  );
  if (!seen.every((node) => node.steady)) {
    throw new StackError(
      `the Kafka cluster's nodes did not all list ${count} brokers steadily within ${timeoutMs / 1000} s (they last saw ${seen.map((node) => node.listed).join(', ')})`,
    );
  }
}
