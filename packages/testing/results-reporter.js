// A jest reporter that writes the run's totals to $TEST_RESULTS_DIR/<package>.json, so CI can
// add up passed and failed tests across every package of the monorepo. Suites that failed to
// run at all (a syntax error, a failing import) count as failures too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export default class ResultsReporter {
  /** @param {import('@jest/types').Config.GlobalConfig} globalConfig */
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  /** @param {unknown} _contexts @param {import('@jest/test-result').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const dir = process.env.TEST_RESULTS_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const name = `${basename(join(this.rootDir, '..'))}-${basename(this.rootDir)}`;
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify({
        package: name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
      }),
    );
  }
}
