import { DEV_TOKEN_SECRET } from './fields.ts';
import { loadConsumerConfig } from './index.ts';

const PRODUCTION_SECRET = 'a-production-secret-of-at-least-32-characters';
const messageOf = (run: () => unknown): string => {
  try {
    run();
    return 'no error';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('consumer configuration', () => {
  it('when the environment is empty, then every variable has the contract default', () => {
    expect(loadConsumerConfig({})).toMatchObject({
      PORT: 9000,
      CONSUMER_GROUP_ID: 'consumer-svc',
      PING_TIMEOUT_MS: 2000,
      KAFKA_TOPIC_PARTITIONS: 8,
      KAFKA_CLIENT: 'kafkajs',
      PRODUCER_SVC_ENDPOINT: 'http://127.0.0.1:9001/producer-svc',
      CONSUMER_TOPICS: ['new-user-created', 'issued-token'],
      CONSUMER_SESSION_TIMEOUT_MS: 30_000,
      VIEW_KEY_PREFIX: 'consumer-view',
    });
    expect(loadConsumerConfig({}).ADMIN_TOKEN).toBeUndefined();
  });

  it('when KAFKA_CLIENT names a client library, then it is taken; any other value is refused by name', () => {
    expect(loadConsumerConfig({ KAFKA_CLIENT: 'platformatic' }).KAFKA_CLIENT).toBe('platformatic');
    expect(messageOf(() => loadConsumerConfig({ KAFKA_CLIENT: 'rdkafka' }))).toMatch(
      /KAFKA_CLIENT: must be kafkajs or platformatic \(got "rdkafka"\)/,
    );
  });

  it('when nothing about the IDE is set, then it is served outside production and not in it, unless GRAPHQL_IDE says so', () => {
    expect(loadConsumerConfig({}).GRAPHQL_IDE).toBe(true);
    expect(loadConsumerConfig({ GRAPHQL_IDE: 'false' }).GRAPHQL_IDE).toBe(false);
    const production = { NODE_ENV: 'production', TOKEN_SECRET: PRODUCTION_SECRET };
    expect(loadConsumerConfig(production).GRAPHQL_IDE).toBe(false);
    expect(loadConsumerConfig({ ...production, GRAPHQL_IDE: 'true' }).GRAPHQL_IDE).toBe(true);
    expect(messageOf(() => loadConsumerConfig({ GRAPHQL_IDE: 'maybe' }))).toMatch(/GRAPHQL_IDE: /);
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
        TOKEN_SECRET: PRODUCTION_SECRET,
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

  it("when nothing about readers is set, then the producer's development secret, no named operators and 64 KiB WebSocket messages and bodies apply", () => {
    expect(loadConsumerConfig({})).toMatchObject({
      TOKEN_SECRET: DEV_TOKEN_SECRET,
      OPERATOR_TOKENS: [],
      WS_MAX_PAYLOAD_BYTES: 65_536,
      HTTP_BODY_LIMIT_BYTES: 65_536,
    });
  });

  it('when OPERATOR_TOKENS names operators, then each is parsed, blanks trimmed', () => {
    expect(
      loadConsumerConfig({
        OPERATOR_TOKENS: ' alice=alice-token-0123456789 , on-call-2=oncall-token=0123456789,',
        WS_MAX_PAYLOAD_BYTES: '1024',
      }),
    ).toMatchObject({
      OPERATOR_TOKENS: [
        { name: 'alice', token: 'alice-token-0123456789' },
        { name: 'on-call-2', token: 'oncall-token=0123456789' },
      ],
      WS_MAX_PAYLOAD_BYTES: 1024,
    });
  });

  it.each([
    ['no =', 'alice-token-0123456789', /OPERATOR_TOKENS: entry 1 must be name=token/],
    ['a bad name', 'Alice=alice-token-0123456789', /entry 1: the name must be \[a-z0-9-\]\+/],
    ['admin', 'admin=admin-token-0123456789', /entry 1: admin is ADMIN_TOKEN's name/],
    ['a short token', 'a=alice-token-0123456789,b=short-secret', /entry 2: the token must be/],
    ['a name twice', 'a=alice-token-0123456789,a=other-token-0123456789', /entry 2: the name/],
    ['a token twice', 'a=alice-token-0123456789,b=alice-token-0123456789', /entry 2: the token/],
  ])(
    'when OPERATOR_TOKENS has %s, then the error names the variable and quotes no token',
    (_case, value, expected) => {
      const message = messageOf(() => loadConsumerConfig({ OPERATOR_TOKENS: value }));
      expect(message).toMatch(expected);
      expect(message).not.toMatch(/token-0123456789|short-secret/);
    },
  );

  it('when an operator token equals ADMIN_TOKEN, then the configuration is refused without quoting it', () => {
    const message = messageOf(() =>
      loadConsumerConfig({
        ADMIN_TOKEN: 'shared-token-0123456789',
        OPERATOR_TOKENS: 'alice=shared-token-0123456789',
      }),
    );
    expect(message).toMatch(/OPERATOR_TOKENS: a token equals ADMIN_TOKEN/);
    expect(message).not.toContain('shared-token-0123456789');
  });

  it('when NODE_ENV=production, then TOKEN_SECRET is required, the development one refused, and dead-letter reads cannot be opened', () => {
    expect(messageOf(() => loadConsumerConfig({ NODE_ENV: 'production' }))).toMatch(
      /TOKEN_SECRET: is required when NODE_ENV=production/,
    );
    expect(
      messageOf(() =>
        loadConsumerConfig({ NODE_ENV: 'production', TOKEN_SECRET: DEV_TOKEN_SECRET }),
      ),
    ).toMatch(/TOKEN_SECRET: is required/);
    expect(
      messageOf(() =>
        loadConsumerConfig({
          NODE_ENV: 'production',
          TOKEN_SECRET: PRODUCTION_SECRET,
          DEAD_LETTER_READS_NEED_TOKEN: 'false',
        }),
      ),
    ).toMatch(/DEAD_LETTER_READS_NEED_TOKEN: cannot be false when NODE_ENV=production/);
    expect(
      loadConsumerConfig({ NODE_ENV: 'production', TOKEN_SECRET: PRODUCTION_SECRET }).TOKEN_SECRET,
    ).toBe(PRODUCTION_SECRET);
  });

  it('when REDIS_WAIT_REPLICAS is unset, then no replica is waited for; a count up to 5 is taken, others refused by name', () => {
    expect(loadConsumerConfig({}).REDIS_WAIT_REPLICAS).toBe(0);
    expect(loadConsumerConfig({ REDIS_WAIT_REPLICAS: '1' }).REDIS_WAIT_REPLICAS).toBe(1);
    expect(messageOf(() => loadConsumerConfig({ REDIS_WAIT_REPLICAS: '-1' }))).toMatch(
      /REDIS_WAIT_REPLICAS: must be >= 0 \(got "-1"\)/,
    );
    expect(messageOf(() => loadConsumerConfig({ REDIS_WAIT_REPLICAS: '6' }))).toMatch(
      /REDIS_WAIT_REPLICAS: must be <= 5/,
    );
  });

  it('when CONSUMER_GROUP_MEMBERS is unset, then each process runs two members; 1 to 16 are taken, others refused by name', () => {
    expect(loadConsumerConfig({}).CONSUMER_GROUP_MEMBERS).toBe(2);
    expect(loadConsumerConfig({ CONSUMER_GROUP_MEMBERS: '1' }).CONSUMER_GROUP_MEMBERS).toBe(1);
    expect(messageOf(() => loadConsumerConfig({ CONSUMER_GROUP_MEMBERS: '0' }))).toMatch(
      /CONSUMER_GROUP_MEMBERS: must be >= 1 \(got "0"\)/,
    );
    expect(messageOf(() => loadConsumerConfig({ CONSUMER_GROUP_MEMBERS: '17' }))).toMatch(
      /CONSUMER_GROUP_MEMBERS: must be <= 16/,
    );
    expect(messageOf(() => loadConsumerConfig({ CONSUMER_GROUP_MEMBERS: 'two' }))).toMatch(
      /CONSUMER_GROUP_MEMBERS: must be a number/,
    );
  });

  it('when KAFKA_CLIENT is platformatic, then each process runs one member, and asking for more is refused by name', () => {
    const platformatic = { KAFKA_CLIENT: 'platformatic' };
    expect(loadConsumerConfig(platformatic).CONSUMER_GROUP_MEMBERS).toBe(1);
    expect(
      loadConsumerConfig({ ...platformatic, CONSUMER_GROUP_MEMBERS: '1' }).CONSUMER_GROUP_MEMBERS,
    ).toBe(1);
    expect(
      messageOf(() => loadConsumerConfig({ ...platformatic, CONSUMER_GROUP_MEMBERS: '2' })),
    ).toMatch(/CONSUMER_GROUP_MEMBERS: must be 1 \(or unset\) with KAFKA_CLIENT=platformatic/);
    expect(
      loadConsumerConfig({ KAFKA_CLIENT: 'kafkajs', CONSUMER_GROUP_MEMBERS: '3' })
        .CONSUMER_GROUP_MEMBERS,
    ).toBe(3);
  });

  it('when an alert webhook is named, then it is kept; plain http:// is refused in production and the URL is never quoted', () => {
    expect(loadConsumerConfig({})).toMatchObject({ ALERT_MIN_INTERVAL_MS: 60_000 });
    expect(loadConsumerConfig({}).ALERT_WEBHOOK_URL).toBeUndefined();
    const webhook = 'https://hooks.example.com/services/T0/B0/secret-path';
    expect(
      loadConsumerConfig({ ALERT_WEBHOOK_URL: webhook, ALERT_MIN_INTERVAL_MS: '5000' }),
    ).toMatchObject({ ALERT_WEBHOOK_URL: webhook, ALERT_MIN_INTERVAL_MS: 5000 });
    const plain = 'http://hooks.example.com/services/T0/B0/secret-path';
    expect(loadConsumerConfig({ ALERT_WEBHOOK_URL: plain }).ALERT_WEBHOOK_URL).toBe(plain);
    const refused = messageOf(() =>
      loadConsumerConfig({
        NODE_ENV: 'production',
        TOKEN_SECRET: PRODUCTION_SECRET,
        ALERT_WEBHOOK_URL: plain,
      }),
    );
    expect(refused).toMatch(
      /ALERT_WEBHOOK_URL: must be an https:\/\/ URL when NODE_ENV=production/,
    );
    const invalid = messageOf(() => loadConsumerConfig({ ALERT_WEBHOOK_URL: 'hooks/secret-path' }));
    expect(invalid).toMatch(/ALERT_WEBHOOK_URL: must be an http/);
    for (const message of [refused, invalid]) expect(message).not.toContain('secret-path');
    expect(messageOf(() => loadConsumerConfig({ ALERT_MIN_INTERVAL_MS: '0' }))).toMatch(
      /ALERT_MIN_INTERVAL_MS: must be > 0 \(got "0"\)/,
    );
  });

  it('when a duration or a count is past what its use takes, then the error names the variable and its bound', () => {
    // Each at its bound is taken; one past it is refused. A timer of more than 2^31-1 ms would
    // fire after 1 ms, an attempt count sizes an array at start, and the broker refuses a
    // session timeout outside its bounds at the join, far from the variable.
    const bounds: [string, number, number, RegExp][] = [
      ['CONSUMER_SESSION_TIMEOUT_MS', 6_000, 5_999, /must be >= 6000/],
      ['CONSUMER_SESSION_TIMEOUT_MS', 1_800_000, 1_800_001, /must be <= 1800000/],
      ['ALERT_MIN_INTERVAL_MS', 86_400_000, 86_400_001, /must be <= 86400000 \(a day\)/],
      ['PING_TIMEOUT_MS', 60_000, 60_001, /must be <= 60000/],
      ['RETRY_MAX_ATTEMPTS', 100, 101, /must be <= 100/],
      ['RETRY_BACKOFF_MS', 604_800_000, 604_800_001, /must be <= 604800000 \(a week\)/],
      ['RETRY_BACKOFF_MAX_MS', 604_800_000, 604_800_001, /must be <= 604800000 \(a week\)/],
      ['RETRY_JOB_LOCK_MS', 600_000, 600_001, /must be <= 600000/],
    ];
    // The first delay may not pass the cap: the cap at its bound lets it reach its own.
    const cap = { RETRY_BACKOFF_MAX_MS: '604800000' };
    for (const [variable, taken, refused, message] of bounds) {
      expect(loadConsumerConfig({ ...cap, [variable]: String(taken) })).toMatchObject({
        [variable]: taken,
      });
      expect(messageOf(() => loadConsumerConfig({ ...cap, [variable]: String(refused) }))).toMatch(
        new RegExp(`${variable}: ${message.source}`),
      );
    }
  });

  it('when TOKEN_SECRET or ADMIN_TOKEN is too short, then the error names it and quotes no value', () => {
    const message = messageOf(() =>
      loadConsumerConfig({ TOKEN_SECRET: 'short-secret-value', ADMIN_TOKEN: 'short-admin' }),
    );
    expect(message).toMatch(/TOKEN_SECRET: must be at least 32 characters/);
    expect(message).toMatch(/ADMIN_TOKEN/);
    expect(message).not.toMatch(/short-secret-value|short-admin/);
    expect(messageOf(() => loadConsumerConfig({ WS_MAX_PAYLOAD_BYTES: '0' }))).toMatch(
      /WS_MAX_PAYLOAD_BYTES/,
    );
  });
});
