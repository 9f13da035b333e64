import { randomBytes } from 'node:crypto';
import type { BenchContext, Scenario } from '../context.ts';
import { createdUserId, createUserBody } from '../fixtures.ts';
import { type LoadResult, runLoad } from '../infra/load.ts';
import type { BenchService } from '../infra/services.ts';
import { runWorker } from '../infra/workers.ts';
import { type HashJob, type HashReport, type Kdf, PRODUCTION_ARGON2ID } from '../password-hash.ts';
import { type Check, ceilingRatio, type Metric, metric } from '../result-schema.ts';
import { sharedProducer } from './http-services.ts';
import { launch, producerEnv, shutdown } from './launch.ts';
import { loginTiming } from './login-timing.ts';

const TOPIC = 'new-user-created';

/**
 * The producer's default password hash (packages/config: PASSWORD_HASH, ARGON2_MEMORY_KIB,
 * ARGON2_PASSES), which the second producer runs with by setting none of them.
 */
const PRODUCTION_HASH = 'argon2id m=19456,t=2,p=1';

/**
 * 3. createUser over HTTP (autocannon, 50 connections, a fixed number of requests so every
 * answer is counted): requests/s, p50/p99, and the events that reached Kafka, which must equal
 * the successful answers. Once at the bench's lowered scrypt cost and once at the production
 * default, argon2id at OWASP's parameters, whose hash (19 MiB, tens of ms of one core) bounds
 * throughput on 2 cores. At the production cost it also times failed logins of known and unknown
 * usernames (login-timing.ts).
 */
export const createUserScenario: Scenario = {
  id: 'create-user',
  title: '3. GraphQL createUser',
  async run(context) {
    const { options } = context;
    const metrics: Metric[] = [];
    const checks: Check[] = [];
    const lowered = await measure(
      context,
      `scrypt N=${options.benchScryptCost}`,
      await sharedProducer(context),
      { requests: options.createUserRequests, runs: options.runs },
      { kdf: 'scrypt', cost: options.benchScryptCost },
      checks,
    );
    metrics.push(
      ...figures(
        `scrypt N=${options.benchScryptCost}`,
        lowered,
        `scrypt N=${options.benchScryptCost}`,
      ),
    );

    const prefix = `bench-${context.tag}-producer-prodcost:`;
    context.cleanup.redisPrefixes.push(prefix);
    // No password variable: the production default, whatever it is.
    const production = await launch(
      context,
      'producer',
      producerEnv(context, { REDIS_KEY_PREFIX: prefix }),
    );
    try {
      const runs = await measure(
        context,
        PRODUCTION_HASH,
        production,
        { requests: options.createUserRequestsProductionCost, runs: Math.min(options.runs, 3) },
        PRODUCTION_ARGON2ID,
        checks,
      );
      metrics.push(...figures(`${PRODUCTION_HASH} (production)`, runs, 'argon2id (production)'));
      const timing = await loginTiming(context, `${production.url}/producer-svc/graphql`);
      metrics.push(...timing.metrics);
      checks.push(...timing.checks);
    } finally {
      await shutdown(context, production);
    }
    return {
      metrics,
      checks,
      notes: [
        `SCRYPT_COST=${options.benchScryptCost} (scrypt, the cheapest the config allows) for the first set of figures; the second at the production default, ${PRODUCTION_HASH}; both are reported`,
        `${options.connections} connections; ${options.createUserRequests} requests per run at the lowered cost, ${options.createUserRequestsProductionCost} at the production cost, after a warm-up; events are counted on the contract topic ${TOPIC} by this run's usernames`,
      ],
    };
  },
};

/** The figures of one hash cost; `short` names its bar on the ceilings chart. */
function figures(label: string, { loads, ceilings }: Measured, short: string): Metric[] {
  const rates = loads.map((r) => r.requestsPerSecond);
  return [
    metric(`requests/s, ${label}`, 'req/s', rates),
    metric(`ceiling: raw ${label} hashes/s (same pool, no service)`, 'hashes/s', ceilings),
    // Issue #18: the service may lose at most a fifth of the rate the hash alone allows.
    ceilingRatio(`createUser, ${short}`, `ratio createUser / raw hash, ${label}`, rates, ceilings, {
      comparison: 'atLeast',
      value: 0.8,
    }),
    metric(
      `p50, ${label}`,
      'ms',
      loads.map((r) => r.p50Ms),
    ),
    metric(
      `p99, ${label}`,
      'ms',
      loads.map((r) => r.p99Ms),
      {
        comparison: 'atMost',
        value: 30,
      },
    ),
  ];
}

interface Measured {
  loads: LoadResult[];
  /** Raw hashes per second of the same KDF, one per load run, measured right after it. */
  ceilings: number[];
}

async function measure(
  context: BenchContext,
  label: string,
  producer: BenchService,
  { requests, runs }: { requests: number; runs: number },
  kdf: Kdf,
  checks: Check[],
): Promise<Measured> {
  const url = `${producer.url}/producer-svc/graphql`;
  const loads: LoadResult[] = [];
  const ceilings: number[] = [];
  // Warm-up: JIT, connections, the Redis and Kafka clients.
  await createUsers(context, url, Math.max(50, Math.floor(requests / 5)));
  for (let run = 0; run < runs; run++) {
    const { load, events, usernamePrefix } = await createUsers(context, url, requests);
    const succeeded = load.ok2xx - load.mismatches;
    checks.push({
      name: `${label} run ${run + 1}: events in Kafka = successful answers`,
      ok: events === succeeded && load.responses === requests && succeeded === requests,
      detail: `${events} events with prefix ${usernamePrefix}, ${succeeded} successful of ${load.responses} answers (${load.non2xx} non-2xx, ${load.mismatches} GraphQL errors, ${load.errors} errors)`,
    });
    loads.push(load);
    const ceiling = await hashCeiling(context, kdf, requests);
    ceilings.push(ceiling.hashesPerSecond);
    context.log(
      `  run ${run + 1}: ${Math.round(load.requestsPerSecond)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, ${events} events; raw hash ${Math.round(ceiling.hashesPerSecond)}/s on ${ceiling.threadPool} pool threads`,
    );
  }
  return { loads, ceilings };
}

/**
 * The raw rate of the same hash, in a process of its own started like the producer (PATH and
 * HOME only, so its libuv pool has the producer's size) with as many hashes in flight as the
 * load has connections; a quarter of the load's requests (at least 20) after a short warm-up,
 * since the rate is steady once the pool is busy.
 */
function hashCeiling(context: BenchContext, kdf: Kdf, requests: number): Promise<HashReport> {
  const hashes = Math.max(20, Math.round(requests / 4));
  const job: HashJob = {
    ...kdf,
    hashes,
    warmup: Math.max(4, Math.round(hashes / 10)),
    concurrency: context.options.connections,
  };
  // Never profiled: the scenario's largest costs are the service's, not its ceiling's.
  return runWorker<HashReport>('hash-ceiling-worker', job, {
    timeoutMs: 300_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
}

async function createUsers(context: BenchContext, url: string, amount: number) {
  const usernamePrefix = `cu-${context.tag}-${randomBytes(3).toString('hex')}-`;
  let n = 0;
  const before = await context.kafka.endOffsets(TOPIC);
  const load = await runLoad({
    url,
    method: 'POST',
    connections: context.options.connections,
    amount,
    body: () => createUserBody(`${usernamePrefix}${n++}`),
    verifyBody: (body) => createdUserId(body) !== undefined,
    maxMs: 600_000,
  });
  const after = await context.kafka.endOffsets(TOPIC);
  const records = await context.kafka.readRange(TOPIC, after, { from: before, timeoutMs: 120_000 });
  const events = records.filter((record) => {
    try {
      const event = JSON.parse(record.value?.toString() ?? '') as { data?: { username?: string } };
      return event.data?.username?.startsWith(usernamePrefix) ?? false;
    } catch {
      return false;
    }
  }).length;
  return { load, events, usernamePrefix };
}
