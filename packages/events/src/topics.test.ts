import { TOPIC_CONFIG, Topics } from './topics.ts';

describe('topics', () => {
  it('then every contract topic has a configuration entry', () => {
    expect(Object.keys(TOPIC_CONFIG).sort()).toEqual(Object.values(Topics).sort());
  });

  it('then the retry and dead-letter topics outlive the longest retry delay (1 h cap) many times over', () => {
    const hour = 60 * 60 * 1000;
    expect(Number(TOPIC_CONFIG[Topics.retry]['retention.ms'])).toBeGreaterThanOrEqual(24 * hour);
    expect(Number(TOPIC_CONFIG[Topics.deadLetter]['retention.ms'])).toBeGreaterThanOrEqual(
      7 * 24 * hour,
    );
  });

  it('then the event topics, the source of truth for rebuilds, keep every record', () => {
    for (const topic of [Topics.newUserCreated, Topics.issuedToken]) {
      expect(TOPIC_CONFIG[topic]).toMatchObject({ 'retention.ms': '-1', 'retention.bytes': '-1' });
    }
  });
});
