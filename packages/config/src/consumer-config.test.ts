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

  it('when nothing about retries is set, then the contract schedule applies and fault injection is off', () => {
    expect(loadConsumerConfig({})).toMatchObject({
      RETRY_MAX_ATTEMPTS: 5,
      RETRY_BACKOFF_MS: 60_000,
      RETRY_BACKOFF_FACTOR: 5,
      RETRY_BACKOFF_MAX_MS: 3_600_000,
      RETRY_TOPIC: 'side-topic-for-retry',
      DEAD_LETTER_TOPIC: 'dead-letter-queue',
      TOPIC_CHECK: 'warn',
      FAULT_INJECT_USERNAME_PATTERN: undefined,
      FAULT_INJECT_FAILURES: 'always',
      FAULT_INJECT_CRASH_AT: [],
      DEAD_LETTER_READS_NEED_TOKEN: false,
    });
  });

  it('when fault injection is configured outside production, then it is kept, parsed', () => {
    expect(
      loadConsumerConfig({
        FAULT_INJECT_USERNAME_PATTERN: '^flaky-',
        FAULT_INJECT_FAILURES: '2',
        FAULT_INJECT_CRASH_AT: 'retry-scheduled, during-retry',
      }),
    ).toMatchObject({
      FAULT_INJECT_USERNAME_PATTERN: '^flaky-',
      FAULT_INJECT_FAILURES: 2,
      FAULT_INJECT_CRASH_AT: ['retry-scheduled', 'during-retry'],
    });
  });

  it('when fault injection is configured in production, then it is ignored and dead-letter reads need the token', () => {
    expect(
      loadConsumerConfig({
        NODE_ENV: 'production',
        FAULT_INJECT_USERNAME_PATTERN: '.*',
        FAULT_INJECT_CRASH_AT: 'during-retry',
      }),
    ).toMatchObject({
      FAULT_INJECT_USERNAME_PATTERN: undefined,
      FAULT_INJECT_CRASH_AT: [],
      DEAD_LETTER_READS_NEED_TOKEN: true,
    });
  });

  it('when a retry or fault variable is invalid, then the error names it', () => {
    expect(() => loadConsumerConfig({ RETRY_MAX_ATTEMPTS: '0' })).toThrow(/RETRY_MAX_ATTEMPTS/);
    expect(() => loadConsumerConfig({ RETRY_BACKOFF_FACTOR: '0.5' })).toThrow(
      /RETRY_BACKOFF_FACTOR: must be >= 1/,
    );
    expect(() =>
      loadConsumerConfig({ RETRY_BACKOFF_MS: '5000', RETRY_BACKOFF_MAX_MS: '1000' }),
    ).toThrow(/RETRY_BACKOFF_MAX_MS: must be >= RETRY_BACKOFF_MS/);
    expect(() => loadConsumerConfig({ FAULT_INJECT_USERNAME_PATTERN: '(' })).toThrow(
      /FAULT_INJECT_USERNAME_PATTERN: must be a valid regular expression/,
    );
    expect(() => loadConsumerConfig({ FAULT_INJECT_FAILURES: 'sometimes' })).toThrow(
      /FAULT_INJECT_FAILURES/,
    );
    expect(() => loadConsumerConfig({ FAULT_INJECT_CRASH_AT: 'nowhere' })).toThrow(
      /FAULT_INJECT_CRASH_AT.*one of before-side-write/,
    );
    expect(() => loadConsumerConfig({ TOPIC_CHECK: 'maybe' })).toThrow(/TOPIC_CHECK/);
  });
});
