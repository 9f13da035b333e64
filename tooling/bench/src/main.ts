// pnpm bench [--quick]: brings up (or reuses) the local stack, runs every scenario against the
// built services in production mode, prints a table, writes results/<timestamp>.json, .md and
// .svg. Everything it starts or creates is stopped or deleted again, failed run or not.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot, stackDown, stackUp } from '@kafka-ecs/devstack';
import { Redis } from 'ioredis';
import { renderCeilingsSvg, renderChartSvg } from './chart.ts';
import type { BenchContext, Scenario } from './context.ts';
import { createBenchKafka } from './infra/bench-kafka.ts';
import { benchConnections, benchEndpoints } from './infra/connection-security.ts';
import { writeJavaClientConfig } from './infra/java-tool.ts';
import { deleteKeysWithPrefix } from './infra/redis-keys.ts';
import { stopWorkerServer } from './infra/workers.ts';
import { describeMachine, loadAtStart } from './machine.ts';
import { parseBenchOptions, UsageError } from './options.ts';
import { type BenchResult, metric, type ScenarioResult } from './result-schema.ts';
import { runScenarios } from './run-scenarios.ts';
import { consumeScenario } from './scenarios/consume.ts';
import { createUserScenario } from './scenarios/create-user.ts';
import { endToEndScenario } from './scenarios/end-to-end.ts';
import { graphqlScenario } from './scenarios/graphql.ts';
import { stopSharedServices } from './scenarios/http-services.ts';
import { shutdown } from './scenarios/launch.ts';
import { pingScenario } from './scenarios/ping.ts';
import { publishScenario } from './scenarios/publish.ts';
import { retryScenario } from './scenarios/retry.ts';
import { formatMarkdownTable, formatTextTable, TABLE_HEADER, tableRows } from './table.ts';

const SCENARIOS: Scenario[] = [
  publishScenario,
  consumeScenario,
  createUserScenario,
  pingScenario,
  graphqlScenario,
  endToEndScenario,
  retryScenario,
];
const HTTP_SCENARIOS = new Set(['create-user', 'ping', 'graphql', 'end-to-end']);

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  const root = repoRoot();
  for (const service of ['producer', 'consumer']) {
    if (!existsSync(join(root, 'services', service, 'dist', 'main.js'))) {
      throw new UsageError(`services/${service}/dist/main.js is missing: run pnpm build first`);
    }
  }
  const resultsDir = join(import.meta.dirname, '..', 'results');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(resultsDir, { recursive: true });

  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  log(
    `pnpm bench (${options.mode}): ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, load ${machine.loadAverage.start.toFixed(2)}`,
  );
  const quiet = loadAtStart(machine);
  if (!quiet.ok) log(`warning: ${quiet.text}`);
  // The services' secure-connection variables; a secured Kafka named by the environment is the
  // run's, and no local stack is started for it.
  const connections = benchConnections(process.env);
  const stack = connections.secured
    ? undefined
    : await stackUp({ log: (line) => log(`stack: ${line}`) });
  const startedStack = stack ? stack.started.kafka || stack.started.redis : false;
  const { brokers, redisUrl } = benchEndpoints(connections, process.env, stack);
  const tag = randomBytes(4).toString('hex');
  const kafka = createBenchKafka(brokers, connections.tools);
  // Kafka's perf tools reach a secured broker with the same TLS and SCRAM, from a private file.
  const javaClientConfig = writeJavaClientConfig(connections.tools);
  const redis = new Redis(redisUrl, {
    ...connections.redisTls,
    maxRetriesPerRequest: 1,
    commandTimeout: 10_000,
  });
  const context: BenchContext = {
    options,
    brokers,
    redisUrl,
    connections,
    kafka,
    redis,
    brokerPid: stack?.kafka.state === 'running' ? stack.kafka.pid : undefined,
    tag,
    failureTopics: { retry: `bench-${tag}-retry`, deadLetter: `bench-${tag}-dead-letters` },
    profileDir: options.profile ? join(resultsDir, `${stamp}-profiles`) : undefined,
    log,
    javaClientConfig: javaClientConfig?.file,
    cleanup: {
      topics: [],
      groups: [],
      redisPrefixes: [],
      services: new Set(),
      workers: new Set(),
      files: javaClientConfig === undefined ? [] : [javaClientConfig.dir],
    },
    peakRss: { producer: [], consumer: [] },
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanUp(context, startedStack).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    context.cleanup.topics.push(context.failureTopics.retry, context.failureTopics.deadLetter);
    await kafka.createTopics([context.failureTopics.retry, context.failureTopics.deadLetter]);
    const selected = SCENARIOS.filter((scenario) => options.only.includes(scenario.id as never));
    const lastHttp = selected.filter((scenario) => HTTP_SCENARIOS.has(scenario.id)).at(-1);
    // Profiled, each HTTP scenario gets fresh services, so their profiles are its alone.
    const scenarios = await runScenarios(context, selected, async (scenario) => {
      const http = HTTP_SCENARIOS.has(scenario.id);
      if (scenario === lastHttp || (http && options.profile)) await stopSharedServices(context);
    });
    scenarios.push(memoryScenario(context));
    const result: BenchResult = {
      schemaVersion: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      mode: options.mode,
      machine: { ...machine, loadAverage: { ...machine.loadAverage, end: loadavg()[0] ?? 0 } },
      settings: { ...settingsOf(options), stackStartedByBench: startedStack },
      scenarios,
    };
    const rows = tableRows(result.scenarios);
    writeFileSync(join(resultsDir, `${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(resultsDir, `${stamp}.svg`), renderChartSvg(result));
    writeFileSync(join(resultsDir, `${stamp}-ceilings.svg`), renderCeilingsSvg(result));
    writeFileSync(
      join(resultsDir, `${stamp}.md`),
      `${quiet.text}\n\n${formatMarkdownTable(TABLE_HEADER, rows)}\n`,
    );
    // The terminal got each scenario's largest costs as it ran; its table stays narrow.
    log(`\n${formatTextTable(TABLE_HEADER, tableRows(result.scenarios, { costs: false }))}\n`);
    log(quiet.text);
    for (const scenario of result.scenarios) {
      for (const note of scenario.notes) log(`${scenario.title}: ${note}`);
    }
    log(`\nresults: tooling/bench/results/${stamp}.{json,svg,md} and ${stamp}-ceilings.svg`);
    const failed = result.scenarios.some(
      (scenario) => scenario.status === 'failed' || scenario.checks.some((check) => !check.ok),
    );
    return failed ? 1 : 0;
  } finally {
    if (!interrupted) await cleanUp(context, startedStack);
  }
}

/** 8. Peak RSS of every service process the run started (the kernel's high-water mark). */
function memoryScenario(context: BenchContext): ScenarioResult {
  const metrics = (['producer', 'consumer'] as const)
    .filter((name) => context.peakRss[name].length > 0)
    .map((name) =>
      metric(`${name} peak RSS`, 'MiB', context.peakRss[name], {
        comparison: 'atMost',
        value: 150,
      }),
    );
  return {
    id: 'memory',
    title: '8. Peak RSS per service process',
    status: metrics.length > 0 ? 'ok' : 'skipped',
    notes: [
      metrics.length > 0
        ? 'VmHWM of each service process at its end; min/median/max over the processes the run started'
        : 'no service process ran',
    ],
    metrics,
    checks: [],
    durationMs: 0,
  };
}

function settingsOf(
  options: ReturnType<typeof parseBenchOptions>,
): Record<string, string | number | boolean> {
  const { only, endToEndRates, ...rest } = options;
  return { ...rest, only: only.join(','), endToEndRates: endToEndRates.join(',') };
}

/** Stops what the run started and deletes what it created; each step bounded, none fatal. */
async function cleanUp(context: BenchContext, stopStack: boolean): Promise<void> {
  const step = async (name: string, work: () => Promise<unknown>) => {
    try {
      await Promise.race([
        work(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timed out')), 60_000).unref(),
        ),
      ]);
    } catch (error) {
      context.log(`cleanup: ${name} failed: ${(error as Error).message}`);
    }
  };
  for (const service of [...context.cleanup.services]) {
    await step(`stopping the ${service.name}`, () => shutdown(context, service));
  }
  for (const server of [...context.cleanup.workers]) {
    await step('stopping a ceiling server', () => stopWorkerServer(context, server));
  }
  const { topics, groups, redisPrefixes, files } = context.cleanup;
  await step('deleting topics', () => context.kafka.deleteTopics([...new Set(topics)]));
  await step('deleting groups', () => context.kafka.deleteGroups([...new Set(groups)]));
  await step('deleting Redis keys', async () => {
    for (const prefix of new Set(redisPrefixes)) await deleteKeysWithPrefix(context.redis, prefix);
  });
  for (const file of files) rmSync(file, { force: true, recursive: true });
  await step('closing clients', async () => {
    await context.kafka.close();
    context.redis.disconnect();
  });
  if (stopStack) await step('stopping the stack it started', () => stackDown());
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error('bench failed:', error);
    process.exit(1);
  },
);
