import {
  type BenchResult,
  ceilingRatio,
  meetsTarget,
  metric,
  parseBenchResult,
} from './result-schema.ts';

const sample = (): BenchResult => ({
  schemaVersion: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  mode: 'quick',
  machine: {
    cpuModel: 'test cpu',
    cpus: 2,
    memoryGiB: 24,
    os: 'linux',
    node: 'v24',
    loadAverage: { start: 0.1, end: 0.2 },
  },
  settings: { runs: 3, scrypt: 1024 },
  scenarios: [
    {
      id: 'publish',
      title: 'Publish path',
      status: 'ok',
      notes: [],
      metrics: [
        metric('project publisher', 'records/s', [1, 2, 3]),
        ceilingRatio('publish', 'ratio', [1, 2, 3], [4, 4, 4]),
      ],
      checks: [{ name: 'all acknowledged', ok: true, detail: '3 of 3' }],
      durationMs: 10,
      load: { start: 0.3, max: 1.7 },
      topCosts: ['publisher: encode 12.0%'],
    },
  ],
});

describe('metric', () => {
  it('when runs are numbers, then it reports their median, min and max', () => {
    expect(metric('m', 'ms', [3, 1, 2])).toEqual({
      name: 'm',
      unit: 'ms',
      median: 2,
      min: 1,
      max: 3,
      runs: [3, 1, 2],
    });
  });

  it('when a run produced no number, then it is kept as null and left out of the summary', () => {
    const m = metric('m', 'ms', [Number.NaN, 4, 6]);
    expect(m.runs).toEqual([null, 4, 6]);
    expect(m.median).toBe(5);
  });

  it('when no run produced a number, then the summary is null', () => {
    expect(metric('m', 'ms', [Number.NaN]).median).toBeNull();
  });
});

describe('ceilingRatio', () => {
  it('when each run has its ceiling, then the ratio is taken run by run and carries its path', () => {
    const m = ceilingRatio('/ping', 'ratio', [2, 3, 8], [4, 4, 10], {
      comparison: 'atLeast',
      value: 0.6,
    });
    expect(m).toMatchObject({ unit: '×', path: '/ping', median: 0.75, min: 0.5, max: 0.8 });
    expect(m.target).toEqual({ comparison: 'atLeast', value: 0.6 });
  });

  it('when a ceiling run is missing or zero, then that ratio is null, not a number', () => {
    expect(ceilingRatio('x', 'r', [1, 1], [0]).runs).toEqual([null, null]);
  });
});

describe('meetsTarget', () => {
  it('when at least / at most, then it compares the median with the goal', () => {
    expect(meetsTarget(metric('a', 'req/s', [5], { comparison: 'atLeast', value: 4 }))).toBe(true);
    expect(meetsTarget(metric('a', 'ms', [31], { comparison: 'atMost', value: 30 }))).toBe(false);
    expect(meetsTarget(metric('a', 'ms', [31]))).toBeUndefined();
  });
});

describe('parseBenchResult', () => {
  it('when a result survives JSON, then it parses back to the same object', () => {
    const result = sample();
    expect(parseBenchResult(JSON.parse(JSON.stringify(result)))).toEqual(result);
  });

  it('when a field is wrong, then it is rejected', () => {
    const result = { ...sample(), mode: 'slow' };
    expect(() => parseBenchResult(result)).toThrow();
  });
});
