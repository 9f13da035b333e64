import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { BenchContext, Scenario } from './context.ts';
import { sampleLoad } from './machine.ts';
import { type CpuProfile, topCosts } from './profile-summary.ts';
import type { ScenarioResult } from './result-schema.ts';
import { SkipScenario } from './scenarios/retry.ts';

/**
 * Runs the scenarios in order; one that throws is reported as failed (with its message) and
 * the others still run. Each records the machine's load before and during it (the load before a
 * scenario includes the bench's own previous one: the 1-minute average trails), and with
 * `--profile` the three largest costs of the profiles its processes wrote (`between` runs
 * first, so services it stops are counted for it).
 */
export async function runScenarios(
  context: BenchContext,
  scenarios: readonly Scenario[],
  between: (scenario: Scenario) => Promise<void>,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const profilesSeen = new Set(profileFiles(context.profileDir));
  for (const scenario of scenarios) {
    context.log(`${scenario.title}`);
    const load = sampleLoad();
    const started = performance.now();
    let result: ScenarioResult;
    try {
      const outcome = await scenario.run(context);
      result = {
        id: scenario.id,
        title: scenario.title,
        status: 'ok',
        ...outcome,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      const skipped = error instanceof SkipScenario;
      context.log(`  ${skipped ? 'skipped' : 'FAILED'}: ${(error as Error).message}`);
      result = {
        id: scenario.id,
        title: scenario.title,
        status: skipped ? 'skipped' : 'failed',
        notes: [(error as Error).message.split('\n')[0] ?? 'failed'],
        metrics: [],
        checks: [],
        durationMs: performance.now() - started,
      };
    }
    result.load = load.stop();
    await between(scenario);
    const written = profileFiles(context.profileDir).filter((file) => !profilesSeen.has(file));
    for (const file of written) profilesSeen.add(file);
    if (written.length > 0) {
      result.topCosts = topCosts(
        written.map((file) => ({
          process: basename(dirname(file)),
          profile: JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
        })),
      );
      context.log(`  largest costs: ${result.topCosts.join('; ')}`);
    }
    results.push(result);
  }
  return results;
}

/** Every .cpuprofile under `dir` (one folder per kind of process). */
function profileFiles(dir: string | undefined): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) => join(dir, file));
}
