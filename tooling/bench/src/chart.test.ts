import { renderChartSvg } from './chart.ts';
import { type BenchResult, metric, type ScenarioResult } from './result-schema.ts';

const result = (scenarios: BenchResult['scenarios']): BenchResult => ({
  schemaVersion: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  mode: 'quick',
  machine: {
    cpuModel: 'Test <CPU>',
    cpus: 2,
    memoryGiB: 24,
    os: 'linux',
    node: 'v24',
    loadAverage: { start: 0, end: 0 },
  },
  settings: {},
  scenarios,
});

const scenario = (
  fields: Pick<ScenarioResult, 'id' | 'title'> & Partial<ScenarioResult>,
): ScenarioResult => ({
  status: 'ok',
  notes: [],
  metrics: [],
  checks: [],
  durationMs: 1,
  ...fields,
});

/** The chart of a result with one scenario: `/ping` unless `fields` say otherwise. */
const chartOf = (fields: Partial<ScenarioResult>) =>
  renderChartSvg(result([scenario({ id: 'ping', title: '/ping', ...fields })]));

const barWidths = (svg: string) =>
  [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((match) => Number(match[1]));

describe('renderChartSvg', () => {
  it('when figures share a unit, then their bars share a scale (the largest fills the area)', () => {
    const svg = chartOf({
      metrics: [
        metric('project', 'records/s', [100]),
        metric('ProducerPerformance', 'records/s', [400]),
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(barWidths(svg)).toEqual([120, 480]);
  });

  it('when figures have different units, then each unit has its own scale', () => {
    const svg = chartOf({ metrics: [metric('rate', 'req/s', [10_000]), metric('p99', 'ms', [5])] });
    expect(barWidths(svg)).toEqual([480, 480]);
  });

  it('when a figure varies between runs, then a min–max whisker is drawn', () => {
    const svg = chartOf({ metrics: [metric('rate', 'req/s', [5, 10, 20])] });
    expect(svg).toContain('class="whisker"');
    expect(svg).toContain('10.0 (5.00–20.0)');
  });

  it('when text holds markup characters, then it is escaped; a skipped scenario shows its note', () => {
    const svg = chartOf({
      id: 'retry',
      title: 'Retry <path>',
      status: 'skipped',
      notes: ['needs issue #5 & its env'],
      durationMs: 0,
    });
    expect(svg).toContain('Retry &lt;path&gt; (skipped)');
    expect(svg).toContain('needs issue #5 &amp; its env');
    expect(svg).toContain('Test &lt;CPU&gt;');
    expect(svg).not.toContain('<path>');
  });
});
