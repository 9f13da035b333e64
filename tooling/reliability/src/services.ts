import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from '@kafka-ecs/devstack';
import {
  type CommandResult,
  freePort,
  graphql,
  ownedPartitions,
  runCommand,
  type ServiceProcess,
  startServiceProcess,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';

/**
 * One service process (from its TypeScript sources, as `pnpm dev` runs it) on ports fixed for
 * its lifetime (PORT and METRICS_PORT), so a restarted process answers at the same URLs and a
 * consumer pointed at a producer keeps finding it.
 */
export interface ServiceHandle {
  name: string;
  /** `http://127.0.0.1:<port>`; the producer's routes are under `/producer-svc`. */
  url: string;
  /** `http://127.0.0.1:<METRICS_PORT>`: `GET {metricsUrl}/metrics`. */
  metricsUrl: string;
  env: Record<string, string>;
  /** The current process (a new one after `restart`). */
  current(): ServiceProcess;
  /** True while the current process has not exited. */
  alive(): boolean;
  /** Sends a signal and, for SIGKILL and SIGTERM, waits until the process has exited. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM and the exit code (or signal), SIGKILL past the bound. */
  stop(timeoutMs?: number): Promise<number | NodeJS.Signals>;
  /** Starts a new process with the same environment and port (after a kill or stop). */
  restart(): Promise<void>;
  /** Every line every process of this handle printed. */
  output(): string[];
}

const exitCode = (service: ServiceProcess) => service.child.exitCode ?? service.child.signalCode;

export async function startService(options: {
  name: string;
  service: 'producer' | 'consumer';
  env: Record<string, string>;
}): Promise<ServiceHandle> {
  const port = await freePort();
  // Distinct: a port closed a moment ago may be handed out again.
  // freePort never hands out a port twice in a process.
  const metricsPort = await freePort();
  const env = { ...options.env, PORT: String(port), METRICS_PORT: String(metricsPort) };
  const cwd = join(repoRoot(), 'services', options.service);
  const start = () => startServiceProcess({ cwd, env, startTimeoutMs: 30_000 });
  const earlier: string[] = [];
  let proc = await start();
  const handle: ServiceHandle = {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    env,
    current: () => proc,
    alive: () => exitCode(proc) === null,
    async signal(signal) {
      if (!handle.alive()) return;
      proc.child.kill(signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') {
        await waitFor(() => !handle.alive(), {
          timeoutMs: 15_000,
          description: `${options.name} exiting on ${signal}`,
        });
      }
    },
    stop: (timeoutMs = 15_000) => proc.stop({ timeoutMs }),
    async restart() {
      if (handle.alive()) throw new Error(`${options.name} still runs; stop it before a restart`);
      earlier.push(...proc.output);
      proc = await start();
    },
    output: () => [...earlier, ...proc.output],
  };
  return handle;
}

/** The producer's environment for a scenario: its own Redis key prefix, a cheap password hash. */
export function producerEnv(stack: {
  kafkaBrokers: string;
  redisUrl: string;
}): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers,
    REDIS_URL: stack.redisUrl,
    REDIS_KEY_PREFIX: `${uniqueName('producer')}:`,
    // The cheapest scrypt the config allows: the suite measures delivery, not hashing.
    SCRYPT_COST: '1024',
    PUBLISH_TIMEOUT_MS: '3000',
    USERNAME_RESERVATION_TTL_MS: '60000',
  };
}

/**
 * The operator the suite reads consumers' views as (user data needs a token): one per run,
 * given to every consumer through `consumerEnv`.
 */
export const READER_OPERATOR = {
  name: 'reliability',
  token: `reliability-${randomBytes(16).toString('hex')}`,
} as const;

/** `Authorization` for the suite's operator. */
export const readerAuthorization = (): string => `Bearer ${READER_OPERATOR.token}`;

/**
 * The consumer's environment: a group and view of its own, a short session (fast takeover), the
 * suite's operator.
 */
export function consumerEnv(stack: {
  kafkaBrokers: string;
  redisUrl: string;
  producerUrl?: string;
}): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers,
    REDIS_URL: stack.redisUrl,
    CONSUMER_GROUP_ID: uniqueName('reliability-group'),
    VIEW_KEY_PREFIX: uniqueName('reliability-view'),
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    PRODUCER_SVC_ENDPOINT: `${stack.producerUrl ?? 'http://127.0.0.1:1'}/producer-svc`,
    OPERATOR_TOKENS: `${READER_OPERATOR.name}=${READER_OPERATOR.token}`,
  };
}

/** The partitions a consumer owns (`topic:partition`) in its main group, from its log. */
const assignment = (consumer: ServiceHandle): string[] =>
  ownedPartitions(consumer.current().output, consumer.env.CONSUMER_GROUP_ID ?? '');

/**
 * Waits until the running instances share their main group's partitions (see `assignment`):
 * each owns some, none twice, and every topic they consume is covered in full (`partitions`
 * each). Robust to the group consuming more topics than the event ones; the retry and
 * dead-letter groups are not counted.
 */
export async function waitForAssignment(
  consumers: ServiceHandle[],
  partitions: number,
  timeoutMs = 40_000,
): Promise<void> {
  await waitFor(
    () => {
      const owned = consumers.map(assignment);
      if (owned.some((list) => list.length === 0)) return false;
      const all = owned.flat();
      const topics = new Set(all.map((entry) => entry.slice(0, entry.lastIndexOf(':'))));
      return new Set(all).size === all.length && all.length === topics.size * partitions;
    },
    { timeoutMs, description: `${consumers.length} consumer(s) sharing every partition` },
  );
}

/** GET with a bound; the status and the time it took, or the network failure. */
export async function probe(
  url: string,
  timeoutMs = 2_000,
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    return { status: response.status, ms: performance.now() - started, body };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, body: String(error) };
  }
}

/**
 * One of the consumer's operator commands (`src/rebuild/<script>`, e.g. the view rebuild) run as
 * an operator would, from its sources, with `consumer`'s environment; resolves with its exit
 * code and output.
 */
export function runConsumerCommand(
  consumer: ServiceHandle,
  script: string,
  args: string[] = [],
): Promise<CommandResult> {
  return runCommand(
    process.execPath,
    ['--conditions=kafka-ecs-source', join('src', 'rebuild', script), ...args],
    {
      cwd: join(repoRoot(), 'services', 'consumer'),
      env: { ...process.env, ...consumer.env, NODE_OPTIONS: '', LOG_LEVEL: 'info' },
      timeoutMs: 75_000,
    },
  );
}

/** A query to a consumer's GraphQL as the suite's operator; its data, or an error saying why not. */
export async function queryConsumer<T>(consumer: ServiceHandle, query: string): Promise<T> {
  const result = await graphql<T>(
    `${consumer.url}/graphql`,
    query,
    {},
    { headers: { authorization: readerAuthorization() } },
  );
  if (!result.data) {
    throw new Error(`${query} failed: ${JSON.stringify(result.errors ?? result.failure)}`);
  }
  return result.data;
}
