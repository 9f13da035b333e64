import { renderCeilingsSvg, renderChartSvg } from './chart.ts';
import { type BenchResult, ceilingRatio, metric, type ScenarioResult } from './result-schema.ts';

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

describe('renderCeilingsSvg', () => {
  const bars = (svg: string) =>
    [...svg.matchAll(/<rect x="330" y="[\d.]+" width="([\d.]+)"/g)].map((match) =>
      Number(match[1]),
    );

  it('when paths have ratios to their ceilings, then each is one bar on a 0–1 scale with its target', () => {
    const svg = renderCeilingsSvg(
      result([
        scenario({
          id: 'publish',
          title: 'Publish',
          metrics: [
            metric('publisher', 'records/s', [100]),
            ceilingRatio('publish', 'ratio', [100], [400], { comparison: 'atLeast', value: 0.5 }),
          ],
        }),
        scenario({
          id: 'ping',
          title: '/ping',
          metrics: [ceilingRatio('/ping', 'ratio', [3, 4, 5], [10, 10, 10])],
        }),
      ]),
    );
    // Only the ratios are drawn: 0.25 and 0.4 of the 560-pixel area (1.0 fills it).
    expect(bars(svg)).toEqual([140, 224]);
    expect(svg).toContain('>publish</text>');
    expect(svg).toContain('0.25× (target ≥ 0.50 ✗)');
    expect(svg).toContain('class="target"');
    expect(svg).toContain('class="whisker"');
    expect(svg).not.toContain('>publisher<');
  });

  it('when a ratio exceeds 1, then the scale grows to hold it; with no ratio, then it says so', () => {
    const over = renderCeilingsSvg(
      result([scenario({ id: 'x', title: 'x', metrics: [ceilingRatio('x', 'r', [2], [1])] })]),
    );
    expect(bars(over)).toEqual([560]);
    expect(renderCeilingsSvg(result([]))).toContain('no path was measured against a ceiling');
  });
});
