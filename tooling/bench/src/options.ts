import { parseArgs } from 'node:util';
import { KafkaEcsError } from '@kafka-ecs/errors';

export const SCENARIO_IDS = [
  'publish',
  'consume',
  'create-user',
  'ping',
  'graphql',
  'end-to-end',
  'retry',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** What one run of the bench does; `--quick` shrinks every size to about a minute in all. */
export interface BenchOptions {
  mode: 'quick' | 'full';
  /** Runs per figure (the median is reported). */
  runs: number;
  only: ScenarioId[];
  /** Write V8 CPU profiles of the services and the publisher to results/profiles/. */
  profile: boolean;
  /** Publish path: records per run, after `publishWarmup` untimed ones. */
  publishRecords: number;
  publishWarmup: number;
  /** Records per ProducerPerformance run (the JVM warms up inside the run). */
  referenceRecords: number;
  /** Publishes kept in flight: enough to fill every batch. */
  publishConcurrency: number;
  /** createUser requests per run at the lowered scrypt cost and at the production default. */
  createUserRequests: number;
  createUserRequestsProductionCost: number;
  connections: number;
  /** /ping: seconds per run. */
  pingSeconds: number;
  /**
   * End to end: mutations per second (the 1,000/s, and a lower rate this machine's
   * scrypt-bound producer sustains, so latency is the pipeline's rather than a queue's),
   * seconds per run.
   */
  endToEndRates: number[];
  endToEndSeconds: number;
  retryEvents: number;
  retryRuns: number;
  retryMaxAttempts: number;
  /**
   * scrypt N for the load scenarios (their producer sets SCRYPT_COST, which selects scrypt);
   * createUser is measured at the production default (argon2id) too.
   */
  benchScryptCost: number;
}

/** What the quick and the full run share. */
const COMMON = {
  publishConcurrency: 1_000,
  connections: 50,
  endToEndRates: [1_000, 250],
  retryMaxAttempts: 5,
  benchScryptCost: 1_024,
};

const PRESETS: Record<'quick' | 'full', Omit<BenchOptions, 'only' | 'profile'>> = {
  quick: {
    ...COMMON,
    mode: 'quick',
    runs: 3,
    publishRecords: 50_000,
    publishWarmup: 10_000,
    referenceRecords: 200_000,
    createUserRequests: 1_500,
    createUserRequestsProductionCost: 50,
    pingSeconds: 2,
    endToEndSeconds: 3,
    retryEvents: 2_000,
    retryRuns: 1,
  },
  full: {
    ...COMMON,
    mode: 'full',
    runs: 5,
    publishRecords: 500_000,
    publishWarmup: 50_000,
    referenceRecords: 1_000_000,
    createUserRequests: 20_000,
    createUserRequestsProductionCost: 400,
    pingSeconds: 10,
    endToEndSeconds: 30,
    retryEvents: 10_000,
    retryRuns: 3,
  },
};

export const USAGE = `pnpm bench [--quick] [--runs N] [--only a,b] [--profile]

  --quick      about a minute: smaller sizes (default: the full run)
  --runs N     runs per figure; the median is reported with min and max
  --only list  scenarios: ${SCENARIO_IDS.join(', ')}
  --profile    write V8 CPU profiles (--cpu-prof) of the services and the publisher`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) throw new UsageError(USAGE);
  const preset = PRESETS[values.quick ? 'quick' : 'full'];
  let runs = preset.runs;
  if (values.runs !== undefined) {
    runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
      throw new UsageError(`--runs must be a whole number 1-50, got "${values.runs}"`);
    }
  }
  let only: ScenarioId[] = [...SCENARIO_IDS];
  if (values.only !== undefined) {
    const names = values.only
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const unknown = names.filter((name) => !(SCENARIO_IDS as readonly string[]).includes(name));
    if (unknown.length > 0 || names.length === 0) {
      throw new UsageError(
        `--only takes scenarios from ${SCENARIO_IDS.join(', ')}; unknown: ${unknown.join(', ') || '(none given)'}`,
      );
    }
    only = names as ScenarioId[];
  }
  return {
    ...preset,
    runs,
    retryRuns: values.runs === undefined ? preset.retryRuns : Math.min(runs, preset.retryRuns),
    only,
    profile: values.profile,
  };
}

/** A bad command line: printed as is, exit 2. */
export class UsageError extends KafkaEcsError {}
