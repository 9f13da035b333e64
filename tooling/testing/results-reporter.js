// A jest reporter that writes the run's totals to $TEST_RESULTS_DIR/<package>[-<label>].json, so
// CI can add up passed and failed tests across every package of the monorepo. Suites that failed to
// run at all (a syntax error, a failing import) count as failures too. Each failure's first
// lines are kept as well: CI prints them next to its summary line, where a log cut to its tail
// still shows what failed and why.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

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
    // A package's second run (its suites against the secure stack) is labelled, not overwritten.
    const label = process.env.TEST_RUN_LABEL ? `-${process.env.TEST_RUN_LABEL}` : '';
    const name = `${basename(join(this.rootDir, '..'))}-${basename(this.rootDir)}${label}`;
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify({
        package: name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
        failures: failures(results, join(this.rootDir, '..', '..')),
      }),
    );
  }
}

const MESSAGE_LINES = 12;

/** @param {import('@jest/test-result').AggregatedResult} results @param {string} repoRoot */
function failures(results, repoRoot) {
  return results.testResults.flatMap((suite) => {
    const file = relative(repoRoot, suite.testFilePath);
    if (suite.testExecError) {
      return [
        { file, test: '(the suite did not run)', message: firstLines(suite.testExecError.message) },
      ];
    }
    return suite.testResults
      .filter((test) => test.status === 'failed')
      .map((test) => ({
        file,
        test: test.fullName,
        message: firstLines(test.failureMessages.join('\n')),
      }));
  });
}

/** @param {string} text */
function firstLines(text) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colours jest adds
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  // Frames inside jest and other libraries say nothing about which line of ours failed.
  const ours = plain
    .split('\n')
    .filter((line) => !/^\s+at .*(node_modules|<anonymous>)/.test(line));
  return ours.slice(0, MESSAGE_LINES).join('\n');
}
