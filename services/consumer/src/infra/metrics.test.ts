import { createConsumerMetrics } from './metrics.ts';

describe('lag in a scrape', () => {
  it('when a scrape reports lag per partition and per topic, then Kafka is read once and the topic figure is the sum', async () => {
    let reads = 0;
    const metrics = createConsumerMetrics({
      defaultMetrics: false,
      readLag: async () => {
        reads += 1;
        return [
          { topic: 'a', partition: 0, lag: 2 },
          { topic: 'a', partition: 1, lag: 5 },
          { topic: 'b', partition: 0, lag: 0 },
        ];
      },
    });

    const text = await metrics.registry.metrics();

    expect(reads).toBe(1);
    expect(text).toContain('consumer_group_lag{topic="a"} 7');
    expect(text).toContain('consumer_group_lag{topic="b"} 0');
    expect(text).toContain('consumer_lag{topic="a",partition="1"} 5');
    await metrics.registry.metrics();
    expect(reads).toBe(2);
  });

  it('when Kafka cannot be read, then the scrape reports no lag rather than failing, and the next one reads again', async () => {
    let fail = true;
    const metrics = createConsumerMetrics({
      defaultMetrics: false,
      readLag: async () => {
        if (fail) throw new Error('broker down');
        return [{ topic: 'a', partition: 0, lag: 1 }];
      },
    });

    expect(await metrics.registry.metrics()).not.toMatch(/^consumer_(group_)?lag\{/m);
    fail = false;
    expect(await metrics.registry.metrics()).toContain('consumer_group_lag{topic="a"} 1');
  });
});
