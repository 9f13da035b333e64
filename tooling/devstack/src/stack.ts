import { join } from 'node:path';
import { brokerAnswers } from '@kafka-ecs/testing';
import { StackError } from './errors.ts';
import { runningBrokerPid, startKafkaBroker, stopKafkaBroker } from './kafka-broker.ts';
import { kafkaClasspath } from './kafka-classpath.ts';
import { kafkaVersion } from './kafka-version.ts';
import { withStackLock } from './lock.ts';
import { kafkaPom, stackDir } from './paths.ts';
import { isListening } from './processes.ts';
import { pruneStaleTopics } from './prune-topics.ts';
import {
  redisAnswers,
  redisEvictionPolicy,
  runningRedisPid,
  startRedisServer,
  stopRedisServer,
} from './redis-server.ts';
import { ensureOffsetsTopic, ensureTopics } from './topics.ts';

const HOST = '127.0.0.1';

export interface StackSettings {
  dir: string;
  kafkaPort: number;
  kafkaControllerPort: number;
  redisPort: number;
  /** First client port of the CLI's three-broker cluster (`stack up --cluster`). */
  kafkaClusterPort: number;
  /** The secure stack's (`stack up --secure`): SASL_SSL broker, its controller, TLS Redis. */
  kafkaSecurePort: number;
  kafkaSecureControllerPort: number;
  redisSecurePort: number;
  /**
   * First of the six client ports of the Redis Cluster (`stack up --redis-cluster`); its nodes'
   * cluster bus ports are each 10000 higher.
   */
  redisClusterPort: number;
  /** The Kafka release every broker of the stack runs (`KAFKA_VERSION`, else the POM's). */
  kafkaVersion: string;
}

/** How each part of the stack is running: started by us, found already there, or not at all. */
export type ComponentState =
  | { state: 'running'; pid: number }
  | { state: 'external' }
  | { state: 'stopped' };

export interface StackInfo {
  kafkaBrokers: string;
  redisUrl: string;
  kafka: ComponentState;
  redis: ComponentState;
  /** What this call started (and so what a caller that started it may stop again). */
  started: { kafka: boolean; redis: boolean };
  createdTopics: string[];
}

export function stackSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  let version: string | undefined;
  return {
    dir: stackDir(env),
    kafkaPort: port(env, 'KAFKA_PORT', 9092),
    kafkaControllerPort: port(env, 'KAFKA_CONTROLLER_PORT', 9093),
    redisPort: port(env, 'REDIS_PORT', 6379),
    kafkaClusterPort: port(env, 'KAFKA_CLUSTER_PORT', 19092),
    kafkaSecurePort: port(env, 'KAFKA_SECURE_PORT', 9094),
    kafkaSecureControllerPort: port(env, 'KAFKA_SECURE_CONTROLLER_PORT', 9095),
    redisSecurePort: port(env, 'REDIS_SECURE_PORT', 6380),
    redisClusterPort: port(env, 'REDIS_CLUSTER_PORT', 7101),
    // Read (and checked) on first use only: `stack down` and `status` need no version, and a bad
    // KAFKA_VERSION must not keep them from stopping or listing what runs.
    get kafkaVersion() {
      version ??= kafkaVersion(env);
      return version;
    },
  };
}

export interface StackUpOptions {
  settings?: StackSettings;
  log?: (line: string) => void;
  /** Bound on the broker's start once its jars are present. @defaultValue 120_000 */
  readyTimeoutMs?: number;
}

/**
 * Brings Kafka and Redis up (idempotently: what already runs is reused) and creates the
 * contract's topics. On failure, whatever this call started is stopped again, so a failed
 * `stack:up` leaves no stray process behind.
 */
export async function stackUp(options: StackUpOptions = {}): Promise<StackInfo> {
  const settings = options.settings ?? stackSettings();
  const log = options.log ?? ((line: string) => console.error(line));
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const kafkaDir = join(settings.dir, 'kafka');
  const redisDir = join(settings.dir, 'redis');
  const kafkaBrokers = `${HOST}:${settings.kafkaPort}`;
  const redisUrl = `redis://${HOST}:${settings.redisPort}`;

  return withStackLock(settings.dir, readyTimeoutMs + 10 * 60_000, async () => {
    const started = { kafka: false, redis: false };
    try {
      const redis = await ensureRedis();
      const kafka = await ensureKafka();
      if (kafka.state === 'running') {
        const pruned = await pruneStaleTopics({
          brokers: [kafkaBrokers],
          dataDir: join(kafkaDir, 'data'),
        });
        if (pruned.length > 0) log(`deleted ${pruned.length} topics that tests left behind`);
      }
      const createdTopics = await ensureTopics([kafkaBrokers]);
      if (createdTopics.length > 0) log(`created topics: ${createdTopics.join(', ')}`);
      await ensureOffsetsTopic([kafkaBrokers]);
      return { kafkaBrokers, redisUrl, kafka, redis, started, createdTopics };
    } catch (error) {
      if (started.kafka) await stopKafkaBroker(kafkaDir);
      if (started.redis) await stopRedisServer(redisDir);
      throw error;
    }

    async function ensureRedis(): Promise<ComponentState> {
      const pid = runningRedisPid(redisDir);
      if (pid !== undefined) return { state: 'running', pid };
      if (await isListening(HOST, settings.redisPort)) {
        if (!(await redisAnswers(redisUrl))) {
          throw new StackError(
            `port ${settings.redisPort} is taken by a process that is not Redis: stop it, or set REDIS_PORT to a free port`,
          );
        }
        const policy = await redisEvictionPolicy(redisUrl);
        if (policy !== 'noeviction') {
          log(
            `warning: the Redis at ${redisUrl} evicts keys (maxmemory-policy ${policy}); BullMQ needs noeviction`,
          );
        }
        log(`reusing the Redis already answering at ${redisUrl} (not started by this stack)`);
        return { state: 'external' };
      }
      log(`starting redis-server on ${redisUrl}`);
      const newPid = await startRedisServer({
        dir: redisDir,
        host: HOST,
        port: settings.redisPort,
        readyTimeoutMs: 15_000,
      });
      started.redis = true;
      return { state: 'running', pid: newPid };
    }

    async function ensureKafka(): Promise<ComponentState> {
      const pid = runningBrokerPid(kafkaDir);
      if (pid !== undefined) {
        if (!(await brokerAnswers([kafkaBrokers], 10_000))) {
          throw new StackError(
            `the stack's Kafka broker (pid ${pid}) runs but does not answer; try pnpm stack:down && pnpm stack:up`,
          );
        }
        return { state: 'running', pid };
      }
      for (const portToCheck of [settings.kafkaPort, settings.kafkaControllerPort]) {
        if (!(await isListening(HOST, portToCheck))) continue;
        if (portToCheck === settings.kafkaPort && (await brokerAnswers([kafkaBrokers]))) {
          log(
            `reusing the Kafka broker already answering at ${kafkaBrokers} (not started by this stack)`,
          );
          return { state: 'external' };
        }
        throw new StackError(
          `port ${portToCheck} is taken by a process that is not this stack's Kafka: stop it, or set KAFKA_PORT / KAFKA_CONTROLLER_PORT to free ports`,
        );
      }
      log(
        `resolving the Kafka ${settings.kafkaVersion} jars with Maven (slow only the first time)`,
      );
      const classpath = await stackClasspath(settings);
      log(`starting the Kafka broker (KRaft) on ${kafkaBrokers}`);
      const newPid = await startKafkaBroker({
        dir: kafkaDir,
        classpath,
        host: HOST,
        port: settings.kafkaPort,
        controllerPort: settings.kafkaControllerPort,
        readyTimeoutMs,
      });
      started.kafka = true;
      return { state: 'running', pid: newPid };
    }
  });
}

/**
 * The Kafka broker's Java classpath, resolved by Maven once and cached in the stack folder
 * (shared by the dev broker, clusters and tests that start brokers of their own).
 */
export function stackClasspath(settings: StackSettings = stackSettings()): Promise<string> {
  return kafkaClasspath(kafkaPom(), classpathCacheFile(settings), settings.kafkaVersion);
}

/** One cache per version: stacks of two versions sharing a folder never evict each other's. */
export function classpathCacheFile(settings: StackSettings = stackSettings()): string {
  return join(settings.dir, 'kafka', `classpath-${settings.kafkaVersion}.txt`);
}

/** Stops what the stack started (by its recorded PIDs) and nothing else. */
export async function stackDown(
  options: { settings?: StackSettings } = {},
): Promise<{ kafka: boolean; redis: boolean }> {
  const settings = options.settings ?? stackSettings();
  return withStackLock(settings.dir, 60_000, async () => {
    // Kafka first: it may still be flushing while Redis has nothing to wait for.
    const kafka = await stopKafkaBroker(join(settings.dir, 'kafka'));
    const redis = await stopRedisServer(join(settings.dir, 'redis'));
    return { kafka, redis };
  });
}

export async function stackStatus(options: { settings?: StackSettings } = {}): Promise<{
  kafka: ComponentState;
  redis: ComponentState;
  kafkaBrokers: string;
  redisUrl: string;
}> {
  const settings = options.settings ?? stackSettings();
  const kafkaBrokers = `${HOST}:${settings.kafkaPort}`;
  const redisUrl = `redis://${HOST}:${settings.redisPort}`;
  const state = async (
    pid: number | undefined,
    answers: () => Promise<boolean>,
  ): Promise<ComponentState> => {
    if (pid !== undefined) return { state: 'running', pid };
    return (await answers()) ? { state: 'external' } : { state: 'stopped' };
  };
  return {
    kafkaBrokers,
    redisUrl,
    kafka: await state(runningBrokerPid(join(settings.dir, 'kafka')), () =>
      brokerAnswers([kafkaBrokers]),
    ),
    redis: await state(runningRedisPid(join(settings.dir, 'redis')), () => redisAnswers(redisUrl)),
  };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new StackError(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return value;
}
