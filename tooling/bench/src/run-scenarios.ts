import type { BenchContext, Scenario } from './context.ts';
import type { ScenarioResult } from './result-schema.ts';
import { SkipScenario } from './scenarios/retry.ts';

/**
 * Runs the scenarios in order; one that throws is reported as failed (with its message) and
 * the others still run.
 */
export async function runScenarios(
  context: BenchContext,
  scenarios: readonly Scenario[],
  between: (scenario: Scenario) => Promise<void>,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    context.log(`${scenario.title}`);
    const started = performance.now();
    try {
      const outcome = await scenario.run(context);
      results.push({
        id: scenario.id,
        title: scenario.title,
        status: 'ok',
        ...outcome,
        durationMs: performance.now() - started,
      });
    } catch (error) {
      const skipped = error instanceof SkipScenario;
      context.log(`  ${skipped ? 'skipped' : 'FAILED'}: ${(error as Error).message}`);
      results.push({
        id: scenario.id,
        title: scenario.title,
        status: skipped ? 'skipped' : 'failed',
        notes: [(error as Error).message.split('\n')[0] ?? 'failed'],
        metrics: [],
        checks: [],
        durationMs: performance.now() - started,
      });
    }
    await between(scenario);
  }
  return results;
}
