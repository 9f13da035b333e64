import { metric, type ScenarioResult } from './result-schema.ts';
import {
  formatMarkdownTable,
  formatNumber,
  formatTarget,
  formatTextTable,
  TABLE_HEADER,
  tableRows,
} from './table.ts';

const scenario = (overrides: Partial<ScenarioResult> = {}): ScenarioResult => ({
  id: 'publish',
  title: 'Publish path',
  status: 'ok',
  notes: [],
  metrics: [
    metric('project publisher', 'records/s', [120_000, 110_000, 130_000]),
    metric('ratio', '×', [0.31, 0.29, 0.33], { comparison: 'atLeast', value: 0.3 }),
  ],
  checks: [],
  durationMs: 1,
  ...overrides,
});

describe('formatNumber', () => {
  it('when large, then thousands are separated and no decimals are shown', () => {
    expect(formatNumber(123_456.7)).toBe('123,457');
  });

  it('when small, then two decimals are shown; when missing, then a dash', () => {
    expect(formatNumber(0.314)).toBe('0.31');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(null)).toBe('–');
    expect(formatNumber(Number.NaN)).toBe('–');
  });
});

describe('formatTarget', () => {
  it('when the median meets or misses the goal, then it says so', () => {
    expect(formatTarget(metric('p99', 'ms', [12], { comparison: 'atMost', value: 10 }))).toBe(
      '≤ 10.0 ✗',
    );
    expect(
      formatTarget(metric('rate', 'req/s', [5_000], { comparison: 'atLeast', value: 4_000 })),
    ).toBe('≥ 4,000 ✓');
    expect(formatTarget(metric('rate', 'req/s', [1]))).toBe('');
  });
});

describe('tableRows', () => {
  it('when a scenario has metrics, then the title is on its first row only', () => {
    const rows = tableRows([scenario()]);
    expect(rows).toEqual([
      ['Publish path', 'project publisher', 'records/s', '120,000', '110,000', '130,000', ''],
      ['', 'ratio', '×', '0.31', '0.29', '0.33', '≥ 0.30 ✓'],
    ]);
  });

  it('when a scenario was skipped, then one row carries its status and first note', () => {
    const rows = tableRows([scenario({ status: 'skipped', metrics: [], notes: ['needs #5'] })]);
    expect(rows).toEqual([['Publish path (skipped)', 'needs #5', '', '', '', '', '']]);
  });

  it('when a scenario has checks, then each becomes a row with ok or FAILED', () => {
    const rows = tableRows([
      scenario({ checks: [{ name: 'events = 2xx', ok: false, detail: '9 of 10' }] }),
    ]);
    expect(rows.at(-1)).toEqual(['', 'check: events = 2xx', '', 'FAILED', '', '', '9 of 10']);
  });

  it('when the load was sampled and profiles were summarized, then both get a row', () => {
    const rows = tableRows([
      scenario({ load: { start: 0.42, max: 2.5 }, topCosts: ['producer: hash 50.0%', 'x 9.0%'] }),
    ]);
    expect(rows.slice(-2)).toEqual([
      ['', 'load average, start / highest', '', '0.42', '', '2.50', ''],
      ['', 'largest costs (--profile): producer: hash 50.0%; x 9.0%', '', '', '', '', ''],
    ]);
    const narrow = tableRows([scenario({ topCosts: ['producer: hash 50.0%'] })], { costs: false });
    expect(narrow.flat().join(' ')).not.toContain('largest costs');
  });
});

describe('formatTextTable', () => {
  it('when rendered, then columns line up and numbers are right-aligned', () => {
    const text = formatTextTable(
      ['a', 'figure', 'unit', 'median'],
      [
        ['x', 'y', 'z', '1'],
        ['', '', '', '1,000'],
      ],
    );
    expect(text.split('\n')).toEqual([
      'a  figure  unit  median',
      '-  ------  ----  ------',
      'x  y       z          1',
      '                  1,000',
    ]);
  });
});

describe('formatMarkdownTable', () => {
  it('when rendered, then numeric columns are right-aligned and pipes escaped', () => {
    const markdown = formatMarkdownTable(TABLE_HEADER, [['a|b', 'f', 'u', '1', '2', '3', '']]);
    expect(markdown.split('\n')).toEqual([
      '| scenario | figure | unit | median | min | max | target |',
      '|---|---|---|---:|---:|---:|---|',
      '| a\\|b | f | u | 1 | 2 | 3 |  |',
    ]);
  });
});
