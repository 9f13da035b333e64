import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerAnswers, type KafkaSecurity } from '@kafka-ecs/testing';
import { StackError } from './errors.ts';
import { kafkaLogging } from './kafka-logging.ts';
import { isAlive, ownedPid, spawnDetached, stopProcess, tail } from './processes.ts';

export interface KafkaBrokerOptions {
  /** Folder for this broker's config, data, log and PID file. */
  dir: string;
  classpath: string;
  host: string;
  port: number;
  controllerPort: number;
  /** A broker that is not RUNNING and answering metadata by then is stopped and reported. */
  readyTimeoutMs: number;
  /** This node's id in the KRaft quorum. @defaultValue 1 */
  nodeId?: number;
  /**
   * The cluster's static controller quorum, this node included. Every node of a cluster gets the
   * same list. @defaultValue this node alone (a single-node cluster)
   */
  voters?: KafkaVoter[];
  /** Shared by every node of one cluster when formatting storage. @defaultValue a random id */
  clusterId?: string;
  /**
   * Replicas of new topics and of the internal ones (offsets, transactions); more than 1 only
   * in a cluster of at least that many nodes. @defaultValue 1
   */
  replicationFactor?: number;
  /** `min.insync.replicas` for every topic and the transaction log. @defaultValue 1 */
  minInsyncReplicas?: number;
  /** A SASL_SSL client listener instead of PLAINTEXT (the secure stack's). */
  security?: KafkaListenerSecurity;
}

/** What a broker whose only client listener is SASL_SSL needs beyond the plain one. */
export interface KafkaListenerSecurity {
  /** server.properties lines: TLS stores, SASL mechanisms, the broker's own JAAS login. */
  properties: string[];
  /** Arguments to the storage format (`--add-scram …`: SCRAM users exist from the start). */
  formatArgs: string[];
  /** How the readiness probe connects. */
  client: KafkaSecurity;
}

/** One controller of a KRaft quorum (`controller.quorum.voters` entry). */
export interface KafkaVoter {
  nodeId: number;
  host: string;
  controllerPort: number;
}

const paths = (dir: string) => ({
  config: join(dir, 'server.properties'),
  data: join(dir, 'data'),
  log: join(dir, 'kafka.log'),
  pid: join(dir, 'kafka.pid'),
});

/** The PID of the broker this folder started, if it still runs. */
export function runningBrokerPid(dir: string): number | undefined {
  return ownedPid(paths(dir).pid, dir);
}

/**
 * Starts a single-node KRaft broker (broker and controller in one JVM) and resolves once it is
 * ready. Settings are the ones a single-node dev/test broker needs: replication factor 1 for
 * internal topics, no initial rebalance delay, and no auto-created topics (a typo in a topic name
 * should fail, not silently create a one-partition topic).
 */
export async function startKafkaBroker(options: KafkaBrokerOptions): Promise<number> {
  assertJava17();
  const file = paths(options.dir);
  mkdirSync(options.dir, { recursive: true });
  // 0600: a secure broker's config holds its own SCRAM password.
  writeFileSync(file.config, serverProperties(options, file.data), { mode: 0o600 });
  chmodSync(file.config, 0o600);
  const logging = kafkaLogging(options.classpath);
  const logConfig = join(options.dir, logging.fileName);
  writeFileSync(logConfig, logging.contents);
  if (!existsSync(join(file.data, 'meta.properties'))) formatStorage(options, file, logConfig);
  // Readiness is read from the log, so each start begins a fresh one (the last is kept).
  if (existsSync(file.log)) renameSync(file.log, `${file.log}.1`);

  const pid = spawnDetached('java', [...jvmArgs(options, logConfig), 'kafka.Kafka', file.config], {
    cwd: options.dir,
    logFile: file.log,
    pidFile: file.pid,
  });
  try {
    await waitUntilReady(options, pid, file.log);
  } catch (error) {
    await stopProcess(pid, 5_000);
    throw error;
  }
  return pid;
}

/**
 * A random KRaft cluster id: 16 bytes in URL-safe base64, as `kafka-storage random-uuid` makes,
 * and like Kafka's never starting with '-' (the storage tool would take it for an option).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * SIGTERM (a controlled shutdown moves leadership and flushes logs; 30 s is plenty for a dev
 * broker), then SIGKILL past `graceMs`.
 */
export async function stopKafkaBroker(dir: string, graceMs = 30_000): Promise<boolean> {
  const pid = runningBrokerPid(dir);
  if (pid === undefined) return false;
  await stopProcess(pid, graceMs);
  return true;
}

/** Kafka 3.9's broker runs on Java 11+, its tools and Kafka 4 on 17+: we ask for 17. */
function assertJava17(): void {
  const probe = spawnSync('java', ['-XshowSettings:properties', '-version'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.error) {
    throw new StackError(
      'Java is not installed (the Kafka broker runs on it): sudo apt-get install openjdk-17-jre-headless',
    );
  }
  const major = Number(/java\.specification\.version = (\d+)/.exec(probe.stderr)?.[1] ?? 0);
  if (major < 17) {
    throw new StackError(
      `Java ${major} found; the Kafka broker here needs Java 17+: sudo apt-get install openjdk-17-jre-headless`,
    );
  }
}

function serverProperties(options: KafkaBrokerOptions, dataDir: string): string {
  const { host, port, controllerPort } = options;
  const nodeId = options.nodeId ?? 1;
  const voters = options.voters ?? [{ nodeId, host, controllerPort }];
  const replicas = options.replicationFactor ?? 1;
  const minIsr = options.minInsyncReplicas ?? 1;
  const listener = options.security ? 'SASL_SSL' : 'PLAINTEXT';
  return `${[
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters.map((v) => `${v.nodeId}@${v.host}:${v.controllerPort}`).join(',')}`,
    `listeners=${listener}://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=${listener}://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    `inter.broker.listener.name=${listener}`,
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,${listener}:${listener}`,
    `log.dirs=${dataDir}`,
    'num.partitions=8',
    `offsets.topic.replication.factor=${replicas}`,
    // Fewer partitions than the default 50 make the first consumer group join seconds faster.
    'offsets.topic.num.partitions=8',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    // A cluster's topics default to its replication; a single node keeps Kafka's defaults.
    ...(replicas > 1
      ? [`default.replication.factor=${replicas}`, `min.insync.replicas=${minIsr}`]
      : []),
    ...(options.security?.properties ?? []),
  ].join('\n')}\n`;
}

function jvmArgs(options: KafkaBrokerOptions, logConfig: string): string[] {
  return [
    '-Xms256m',
    '-Xmx768m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    kafkaLogging(options.classpath).jvmOption(logConfig),
    '-cp',
    options.classpath,
  ];
}

function formatStorage(
  options: KafkaBrokerOptions,
  file: ReturnType<typeof paths>,
  logConfig: string,
): void {
  const clusterId = options.clusterId ?? newClusterId();
  const result = spawnSync(
    'java',
    [
      ...jvmArgs(options, logConfig),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      file.config,
      '--ignore-formatted',
      ...(options.security?.formatArgs ?? []),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) {
    throw new StackError(
      `formatting Kafka's storage failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`,
    );
  }
}

async function waitUntilReady(
  options: KafkaBrokerOptions,
  pid: number,
  log: string,
): Promise<void> {
  const deadline = Date.now() + options.readyTimeoutMs;
  const brokers = [`${options.host}:${options.port}`];
  const security = options.security?.client ?? {};
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new StackError(
        `the Kafka broker exited while starting${firstError(log)}; last lines of ${log}:\n${tail(log)}`,
      );
    }
    if (
      /Transitioning from \w+ to RUNNING/.test(readLog(log)) &&
      (await brokerAnswers(brokers, 3_000, security))
    ) {
      return;
    }
    await sleep(250);
  }
  throw new StackError(
    `the Kafka broker did not become ready within ${options.readyTimeoutMs / 1000} s; last lines of ${log}:\n${tail(log)}`,
  );
}

/** The first ERROR or FATAL line of the log (the cause; the tail is usually the shutdown). */
function firstError(log: string): string {
  const text = readLog(log);
  if (text.includes('Too many open files')) {
    return ': it ran out of open files (ulimit -n); its data holds too many partitions: pnpm stack:down --clean resets it';
  }
  const line = text.split('\n').find((entry) => /\] (ERROR|FATAL) /.test(entry));
  return line ? `: ${line.trim()}` : '';
}

function readLog(log: string): string {
  try {
    return readFileSync(log, 'utf8');
  } catch {
    return '';
  }
}
