import { parseBenchOptions, SCENARIO_IDS, UsageError } from './options.ts';

describe('parseBenchOptions', () => {
  it('when given nothing, then it is the full run of every scenario', () => {
    const options = parseBenchOptions([]);
    expect(options.mode).toBe('full');
    expect(options.only).toEqual([...SCENARIO_IDS]);
    expect(options.profile).toBe(false);
  });

  it('when --quick, then sizes shrink and several runs still make a median', () => {
    const quick = parseBenchOptions(['--quick']);
    const full = parseBenchOptions([]);
    expect(quick.mode).toBe('quick');
    expect(quick.publishRecords).toBeLessThan(full.publishRecords);
    expect(quick.runs).toBeGreaterThanOrEqual(3);
  });

  it('when --runs and --only are given, then they are applied', () => {
    const options = parseBenchOptions(['--quick', '--runs', '1', '--only', 'ping,publish']);
    expect(options.runs).toBe(1);
    expect(options.retryRuns).toBe(1);
    expect(options.only).toEqual(['ping', 'publish']);
    expect(parseBenchOptions(['--only', 'graphql']).only).toEqual(['graphql']);
  });

  it('when a scenario or the run count is unknown, then it is a usage error naming it', () => {
    expect(() => parseBenchOptions(['--only', 'pingg'])).toThrow(/unknown: pingg/);
    expect(() => parseBenchOptions(['--runs', '0'])).toThrow(UsageError);
    expect(() => parseBenchOptions(['--fast'])).toThrow();
  });
});
