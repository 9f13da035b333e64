import { waitFor } from '@kafka-ecs/testing';
import { loadAtStart, parseProcStat, quietThreshold, sampleLoad } from './machine.ts';

describe('sampleLoad', () => {
  it('when the load rises while sampling, then the highest sample is kept with the start', async () => {
    const readings = [0.5, 1.2, 3.4, 2.0];
    let reads = 0;
    const sampler = sampleLoad(1, () => readings[Math.min(reads++, readings.length - 1)] ?? 0);
    expect(sampler.start).toBe(0.5);
    await waitFor(() => reads >= readings.length, { timeoutMs: 2_000, intervalMs: 1 });
    expect(sampler.stop()).toEqual({ start: 0.5, max: 3.4 });
  });
});

describe('quietThreshold', () => {
  it('then it is half the cores, and never below 1', () => {
    expect(quietThreshold(2)).toBe(1);
    expect(quietThreshold(8)).toBe(4);
    expect(quietThreshold(1)).toBe(1);
  });
});

describe('loadAtStart', () => {
  const machine = (start: number) => ({
    cpuModel: 'cpu',
    cpus: 2,
    memoryGiB: 24,
    os: 'linux',
    node: 'v24',
    loadAverage: { start, end: 0 },
  });

  it('when the load at the start is at most half the cores, then the machine was quiet; above, then the results say it was not', () => {
    expect(loadAtStart(machine(0.8))).toEqual({
      ok: true,
      text: 'Load average 0.80 at the start: a quiet machine (at most 1 on 2 cores).',
    });
    expect(loadAtStart(machine(1.5)).ok).toBe(false);
    expect(loadAtStart(machine(1.5)).text).toContain('NOT a quiet machine (above 1 on 2 cores)');
  });
});

describe('parseProcStat', () => {
  it('when given /proc/stat, then busy is all but idle and iowait, in seconds', () => {
    const text = 'cpu  1000 20 300 5000 80 10 40 50 0 0\ncpu0 500 10 150 2500 40 5 20 25 0 0\n';
    expect(parseProcStat(text)).toEqual({ busy: 14.2, total: 65 });
  });

  it('when the first line is not the machine total, then there is no reading', () => {
    expect(parseProcStat('cpu0 1 2 3 4 5 6 7 8\n')).toBeUndefined();
    expect(parseProcStat('cpu  1 2 3\n')).toBeUndefined();
  });
});
