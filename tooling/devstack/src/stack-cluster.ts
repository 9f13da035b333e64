import { join } from 'node:path';
import { StackError } from './errors.ts';
import { kafkaClusterStatus, startKafkaCluster, stopKafkaCluster } from './kafka-cluster.ts';
import { withStackLock } from './lock.ts';
import { isListening } from './processes.ts';
import { type StackSettings, stackClasspath, stackSettings } from './stack.ts';
import { ensureTopics } from './topics.ts';

const HOST = '127.0.0.1';
const SIZE = 3;

/** Where `stack up --cluster` keeps its three nodes. */
export const clusterDir = (settings: StackSettings) => join(settings.dir, 'cluster');

/**
 * `stack up --cluster`: a three-broker KRaft cluster (replication factor 3,
 * `min.insync.replicas=2`) in `.stack/cluster`, on client ports KAFKA_CLUSTER_PORT, +2, +4
 * (controllers on the odd ports between), with the contract's topics. Reused when it runs.
 * It is separate from the single dev broker of `stack up`, which it leaves alone.
 */
export async function stackClusterUp(
  options: { settings?: StackSettings; log?: (line: string) => void } = {},
): Promise<{ kafkaBrokers: string; started: boolean; createdTopics: string[] }> {
  const settings = options.settings ?? stackSettings();
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = clusterDir(settings);
  return withStackLock(dir, 11 * 60_000, async () => {
    const known = kafkaClusterStatus(dir);
    const running = known.length > 0 && known.every((node) => node.pid !== undefined);
    const ports = Array.from({ length: SIZE }, (_, index) => ({
      port: settings.kafkaClusterPort + 2 * index,
      controllerPort: settings.kafkaClusterPort + 2 * index + 1,
    }));
    if (known.length === 0) {
      for (const { port, controllerPort } of ports) {
        for (const candidate of [port, controllerPort]) {
          if (await isListening(HOST, candidate)) {
            throw new StackError(
              `port ${candidate} is taken: set KAFKA_CLUSTER_PORT to the first of 6 free ports`,
            );
          }
        }
      }
    }
    if (!running) log(`starting a ${SIZE}-broker Kafka cluster (KRaft) in ${dir}`);
    const cluster = await startKafkaCluster({
      dir,
      classpath: await stackClasspath(settings),
      size: SIZE,
      ports,
    });
    const createdTopics = await ensureTopics(cluster.brokers, undefined, cluster.replicationFactor);
    if (createdTopics.length > 0) log(`created topics: ${createdTopics.join(', ')}`);
    return { kafkaBrokers: cluster.brokers.join(','), started: !running, createdTopics };
  });
}

/** `stack down --cluster`: stops the cluster's nodes by their PID files. */
export function stackClusterDown(options: { settings?: StackSettings } = {}): Promise<boolean> {
  const settings = options.settings ?? stackSettings();
  return withStackLock(clusterDir(settings), 60_000, () => stopKafkaCluster(clusterDir(settings)));
}
