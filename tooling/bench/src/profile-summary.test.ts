import { type CpuProfile, packageOf, summarizeProfile, topCosts } from './profile-summary.ts';

describe('packageOf', () => {
  it('when a URL is in node_modules, then it is the (scoped) package name', () => {
    expect(
      packageOf('file:///r/node_modules/.pnpm/kafkajs@2.2.4/node_modules/kafkajs/src/x.js'),
    ).toBe('kafkajs');
    expect(packageOf('file:///r/node_modules/@apollo/server/dist/a.js')).toBe('@apollo/server');
  });

  it('when a URL is the project, node core or native, then it says so', () => {
    expect(packageOf('file:///r/packages/kafka/dist/publisher.js')).toBe('packages/kafka');
    expect(packageOf('node:internal/streams')).toBe('node core');
    expect(packageOf('')).toBe('(native / V8)');
  });
});

describe('summarizeProfile', () => {
  it('when samples hit nodes, then self time adds up per function and per package', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('encode', 'file:///r/node_modules/kafkajs/src/a.js') },
        { id: 3, callFrame: frame('publish', 'file:///r/packages/kafka/src/publisher.ts') },
      ],
      startTime: 0,
      endTime: 4_000,
      samples: [2, 2, 3, 2],
      timeDeltas: [1_000, 1_000, 1_000, 1_000],
    };
    const summary = summarizeProfile(profile);
    expect(summary.totalMs).toBe(4);
    expect(summary.functions[0]).toEqual({
      name: 'encode (kafkajs a.js:1)',
      selfMs: 3,
      share: 0.75,
    });
    expect(summary.packages.map((entry) => entry.name)).toEqual(['kafkajs', 'packages/kafka']);
  });
});

describe('topCosts', () => {
  const frame = (functionName: string, url = 'file:///r/packages/kafka/src/a.ts') => ({
    functionName,
    url,
    lineNumber: 0,
  });
  const profileOf = (hits: [string, number][]): CpuProfile => ({
    nodes: hits.map(([name], index) => ({
      id: index + 1,
      callFrame: name === '(idle)' ? frame(name, '') : frame(name),
    })),
    startTime: 0,
    endTime: 1,
    samples: hits.map((_hit, index) => index + 1),
    timeDeltas: hits.map(([, ms]) => ms * 1_000),
  });

  it('when several processes were profiled, then the heaviest functions over all of them come first, named with their process, idle left out', () => {
    const costs = topCosts([
      {
        process: 'producer',
        profile: profileOf([
          ['(idle)', 900],
          ['hash', 50],
          ['parse', 10],
        ]),
      },
      {
        process: 'consumer',
        profile: profileOf([
          ['apply', 30],
          ['decode', 10],
        ]),
      },
    ]);
    expect(costs).toEqual([
      'producer: hash (packages/kafka a.ts:1) 50.0%',
      'consumer: apply (packages/kafka a.ts:1) 30.0%',
      'producer: parse (packages/kafka a.ts:1) 10.0%',
    ]);
  });
});
