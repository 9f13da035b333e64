import { allZero, metricValue, parseMetrics } from './metrics.ts';

describe('Prometheus text', () => {
  const text = `# HELP consumer_lag Records not yet committed
# TYPE consumer_lag gauge
consumer_lag{topic="t",partition="0"} 6
consumer_lag{topic="t",partition="1"} 0
consumer_events_applied_total{type="new-user-created"} 3
process_cpu_seconds_total 1.5
odd{note="a \\"quoted\\" value"} 2
`;

  it('when parsed, then each sample has its name, labels and value', () => {
    expect(parseMetrics(text)).toEqual([
      { name: 'consumer_lag', labels: { topic: 't', partition: '0' }, value: 6 },
      { name: 'consumer_lag', labels: { topic: 't', partition: '1' }, value: 0 },
      { name: 'consumer_events_applied_total', labels: { type: 'new-user-created' }, value: 3 },
      { name: 'process_cpu_seconds_total', labels: {}, value: 1.5 },
      { name: 'odd', labels: { note: 'a \\"quoted\\" value' }, value: 2 },
    ]);
  });

  it('when asked for a value, then the samples whose labels match are summed, 0 for none', () => {
    const samples = parseMetrics(text);
    expect(metricValue(samples, 'consumer_lag')).toBe(6);
    expect(metricValue(samples, 'consumer_lag', { partition: '1' })).toBe(0);
    expect(
      metricValue(samples, 'consumer_events_applied_total', { type: 'new-user-created' }),
    ).toBe(3);
    expect(metricValue(samples, 'nothing_here')).toBe(0);
  });

  it('when a line is not a sample, then parsing says which', () => {
    expect(() => parseMetrics('consumer_lag{topic="t"}\n')).toThrow(
      'not a Prometheus sample: consumer_lag{topic="t"}',
    );
  });

  it('when a gauge reports, then it is all zero only if every sample is 0; an unreported one is not', () => {
    const samples = parseMetrics(text);
    expect(allZero(samples, 'consumer_lag')).toBe(false);
    expect(allZero(samples, 'consumer_lag_absent')).toBe(false);
    expect(
      allZero(
        parseMetrics('consumer_lag{partition="0"} 0\nconsumer_lag{partition="1"} 0\n'),
        'consumer_lag',
      ),
    ).toBe(true);
  });
});
