// Prints every scenario's figures line once more at the end of the run, together, so CI logs
// show them in one place (each scenario appends its line to the run's figures.txt).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export default class FiguresReporter {
  onRunComplete() {
    const dir = process.env.RELIABILITY_RUN_DIR;
    if (!dir) return;
    let lines = '';
    try {
      lines = readFileSync(join(dir, 'figures.txt'), 'utf8');
    } catch {
      return;
    }
    process.stdout.write(`\nReliability figures (this run):\n${lines}`);
  }
}
