import { type Metric, meetsTarget, type ScenarioResult } from './result-schema.ts';

/** A number as people read it: thousands separated, few decimals for small values. */
export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function formatTarget(m: Metric): string {
  if (!m.target) return '';
  const sign = m.target.comparison === 'atLeast' ? '≥' : '≤';
  const met = meetsTarget(m);
  const verdict = met === undefined ? '' : met ? ' ✓' : ' ✗';
  return `${sign} ${formatNumber(m.target.value)}${verdict}`;
}

/** A scenario's title, with its status when it did not run to the end. */
export function scenarioTitle(scenario: ScenarioResult): string {
  return scenario.status === 'ok' ? scenario.title : `${scenario.title} (${scenario.status})`;
}

export const TABLE_HEADER = ['scenario', 'figure', 'unit', 'median', 'min', 'max', 'target'];

/**
 * One row per metric (the scenario's title on its first row), one per check, its load, and
 * (unless `costs` is false) its largest costs from `--profile`.
 */
export function tableRows(
  scenarios: readonly ScenarioResult[],
  { costs = true }: { costs?: boolean } = {},
): string[][] {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    const title = scenarioTitle(scenario);
    if (scenario.metrics.length === 0) {
      rows.push([title, scenario.notes[0] ?? '', '', '', '', '', '']);
      continue;
    }
    scenario.metrics.forEach((m, index) => {
      rows.push([
        index === 0 ? title : '',
        m.name,
        m.unit,
        formatNumber(m.median),
        formatNumber(m.min),
        formatNumber(m.max),
        formatTarget(m),
      ]);
    });
    for (const check of scenario.checks) {
      rows.push(['', `check: ${check.name}`, '', check.ok ? 'ok' : 'FAILED', '', '', check.detail]);
    }
    if (scenario.load) {
      const { start, max } = scenario.load;
      rows.push([
        '',
        'load average, start / highest',
        '',
        formatNumber(start),
        '',
        formatNumber(max),
        '',
      ]);
    }
    if (costs && scenario.topCosts?.length) {
      rows.push([
        '',
        `largest costs (--profile): ${scenario.topCosts.join('; ')}`,
        '',
        '',
        '',
        '',
        '',
      ]);
    }
  }
  return rows;
}

const NUMERIC_COLUMNS = new Set([3, 4, 5]);

/** Fixed-width columns for the terminal; numbers right-aligned. */
export function formatTextTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        NUMERIC_COLUMNS.has(column)
          ? cell.padStart(widths[column] ?? 0)
          : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A GitHub-flavoured Markdown table (pipes in cells escaped). */
export function formatMarkdownTable(header: readonly string[], rows: readonly string[][]): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const align = header.map((_cell, column) => (NUMERIC_COLUMNS.has(column) ? '---:' : '---'));
  return [line(header), `|${align.join('|')}|`, ...rows.map(line)].join('\n');
}
