import { loadConsumerConfig } from './index.ts';

describe('consumer configuration', () => {
  it('when the environment is empty, then every variable has the contract default', () => {
    expect(loadConsumerConfig({})).toMatchObject({
      PORT: 9000,
      CONSUMER_GROUP_ID: 'consumer-svc',
      PING_TIMEOUT_MS: 2000,
      KAFKA_TOPIC_PARTITIONS: 8,
      PRODUCER_SVC_ENDPOINT: 'http://127.0.0.1:9001/producer-svc',
      CONSUMER_TOPICS: ['new-user-created', 'issued-token'],
      CONSUMER_SESSION_TIMEOUT_MS: 30_000,
      VIEW_KEY_PREFIX: 'consumer-view',
    });
    expect(loadConsumerConfig({}).ADMIN_TOKEN).toBeUndefined();
  });

  it('when PRODUCER_SVC_ENDPOINT is set, then it wins over service discovery, without a trailing slash', () => {
    const config = loadConsumerConfig({
      PRODUCER_SVC_ENDPOINT: 'http://producer.internal:8080/producer-svc/',
      COPILOT_SERVICE_DISCOVERY_ENDPOINT: 'test.app.local',
    });
    expect(config.PRODUCER_SVC_ENDPOINT).toBe('http://producer.internal:8080/producer-svc');
  });

  it('when only Copilot service discovery is set, then the producer URL is derived from it', () => {
    expect(
      loadConsumerConfig({ COPILOT_SERVICE_DISCOVERY_ENDPOINT: 'test.app.local' })
        .PRODUCER_SVC_ENDPOINT,
    ).toBe('http://producer.test.app.local:9001/producer-svc');
    expect(
      loadConsumerConfig({
        COPILOT_SERVICE_DISCOVERY_ENDPOINT: 'prod.app.local',
        PRODUCER_SVC_NAME: 'writer',
        PRODUCER_SVC_PORT: '8080',
      }).PRODUCER_SVC_ENDPOINT,
    ).toBe('http://writer.prod.app.local:8080/producer-svc');
  });

  it('when a consumer variable is invalid, then the error names it', () => {
    expect(() => loadConsumerConfig({ PRODUCER_SVC_ENDPOINT: 'producer:9001' })).toThrow(
      /PRODUCER_SVC_ENDPOINT: must be an http/,
    );
    expect(() => loadConsumerConfig({ COPILOT_SERVICE_DISCOVERY_ENDPOINT: 'a b' })).toThrow(
      /COPILOT_SERVICE_DISCOVERY_ENDPOINT/,
    );
    expect(() => loadConsumerConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
    expect(() => loadConsumerConfig({ CONSUMER_TOPICS: 'a, b c' })).toThrow(/CONSUMER_TOPICS/);
    expect(() => loadConsumerConfig({ KAFKA_TOPIC_PARTITIONS: '0' })).toThrow(
      /KAFKA_TOPIC_PARTITIONS/,
    );
  });
});
