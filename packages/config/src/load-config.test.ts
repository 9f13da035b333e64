import { z } from 'zod';
import { consumerConfigSchema } from './consumer-config.ts';
import { ConfigError, loadConfig, loadConsumerConfig, loadProducerConfig } from './index.ts';
import { quotableVariables } from './load-config.ts';
import { producerConfigSchema } from './producer-config.ts';

describe('loadConfig', () => {
  it('when the environment is empty, then every variable has the contract default', () => {
    const config = loadProducerConfig({});
    expect(config).toMatchObject({
      PORT: 9001,
      METRICS_PORT: 9101,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_TOPIC_PARTITIONS: 8,
      LOG_LEVEL: 'info',
    });
    expect(loadConsumerConfig({})).toMatchObject({ PORT: 9000, METRICS_PORT: 9100 });
  });

  it('when METRICS_PORT equals a non-zero PORT, then one line names METRICS_PORT', () => {
    expect(() => loadProducerConfig({ PORT: '9101' })).toThrow(
      /^invalid configuration: METRICS_PORT: must differ from PORT \(both are 9101\)$/,
    );
    expect(() => loadConsumerConfig({ PORT: '8080', METRICS_PORT: '8080' })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    );
    expect(() => loadConsumerConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT: /);
  });

  it('when PORT and METRICS_PORT are both 0, then both mean any free port and start', () => {
    expect(loadProducerConfig({ PORT: '0', METRICS_PORT: '0' })).toMatchObject({
      PORT: 0,
      METRICS_PORT: 0,
    });
    expect(loadConsumerConfig({ PORT: '0', METRICS_PORT: '0' }).METRICS_PORT).toBe(0);
  });

  it('when brokers are a comma-separated list, then they are split and trimmed', () => {
    expect(loadProducerConfig({ KAFKA_BROKERS: 'a:9092, b:9093' }).KAFKA_BROKERS).toEqual([
      'a:9092',
      'b:9093',
    ]);
  });

  it('when a variable is invalid, then one line names it and the value', () => {
    expect(() => loadProducerConfig({ PORT: 'http' })).toThrow(ConfigError);
    expect(() => loadProducerConfig({ PORT: 'http' })).toThrow(
      /^invalid configuration: PORT: .*\(got "http"\)$/,
    );
    expect(() => loadConsumerConfig({ REDIS_URL: 'localhost:6379' })).toThrow(
      /REDIS_URL: must be a redis:\/\//,
    );
    expect(() => loadConsumerConfig({ KAFKA_BROKERS: 'nohost' })).toThrow(/KAFKA_BROKERS/);
  });

  it('when several variables are invalid, then all are named', () => {
    expect(() => loadConsumerConfig({ PORT: '-1', PING_TIMEOUT_MS: '0' })).toThrow(
      /PORT: .*; PING_TIMEOUT_MS: /,
    );
  });

  it('when a variable is an empty string, then it counts as unset', () => {
    expect(loadConsumerConfig({ PING_TIMEOUT_MS: '' }).PING_TIMEOUT_MS).toBe(2000);
  });

  it('when a secret variable is invalid, then it is named and its value is not quoted', () => {
    const secret = 'too-short-secret';
    let message = '';
    try {
      loadProducerConfig({ TOKEN_SECRET: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid configuration: TOKEN_SECRET: must be at least 32/);
    expect(message).not.toContain(secret);
  });

  it('when a variable is not on the list of settings that may be quoted, then it is named and never quoted', () => {
    const schema = z.object({
      PORT: z.coerce.number().int(),
      ALERT_WEBHOOK_URL: z.url({ error: 'must be an https:// URL', protocol: /^https$/ }),
    });
    const webhook = 'http://hooks.example.com/services/T000/B000/secret-path-token';
    let message = '';
    try {
      loadConfig(schema, { PORT: 'x', ALERT_WEBHOOK_URL: webhook });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT: .*\(got "x"\)/);
    expect(message).toMatch(/ALERT_WEBHOOK_URL: must be an https:\/\/ URL(;|$)/);
    expect(message).not.toContain('secret-path-token');
  });

  it('when every variable of both services is listed, then only the credentials are never quoted', () => {
    // A variable added to a service's schema must be decided on: quotable, or a secret.
    const secrets = [
      'ADMIN_TOKEN',
      'ALERT_WEBHOOK_URL',
      'KAFKA_SASL_PASSWORD',
      'KAFKA_SASL_USERNAME',
      'OPERATOR_TOKENS',
      'TOKEN_SECRET',
    ];
    const names = new Set([
      ...Object.keys(producerConfigSchema.in.shape),
      ...Object.keys(consumerConfigSchema.in.shape),
    ]);
    const unquoted = [...names].filter((name) => !quotableVariables.has(name)).sort();
    expect(unquoted).toEqual(secrets);
  });

  it('when an invalid URL carries a password in its query, then the query is not quoted', () => {
    let message = '';
    try {
      loadConsumerConfig({ REDIS_URL: 'http://cache:6379/?password=hunter2-query' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/REDIS_URL: .*\(got "http:\/\/cache:6379\/\?\*\*\*"\)$/);
    expect(message).not.toContain('hunter2');
  });

  it('when a value that is not a URL holds a ? (a regular expression), then it is quoted whole', () => {
    expect(() =>
      loadConsumerConfig({ NODE_ENV: 'test', FAULT_INJECT_USERNAME_PATTERN: '^u(?<n>\\d+' }),
    ).toThrow(
      /FAULT_INJECT_USERNAME_PATTERN: must be a valid regular expression \(got "\^u\(\?<n>\\d\+"\)/,
    );
  });

  it('when an invalid URL carries credentials, then only what follows the @ is quoted', () => {
    expect(() => loadConsumerConfig({ REDIS_URL: 'http://user:p@ss/w0rd@cache:6379' })).toThrow(
      /^invalid configuration: REDIS_URL: .*\(got "http:\/\/\*\*\*@cache:6379"\)$/,
    );
  });

  it('then the result is frozen', () => {
    expect(Object.isFrozen(loadProducerConfig({}))).toBe(true);
  });
});
