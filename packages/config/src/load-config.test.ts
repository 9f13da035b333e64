import { ConfigError, loadConsumerConfig, loadProducerConfig } from './index.ts';

describe('loadConfig', () => {
  it('when the environment is empty, then every variable has the contract default', () => {
    const config = loadProducerConfig({});
    expect(config).toMatchObject({
      PORT: 9001,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_TOPIC_PARTITIONS: 8,
      LOG_LEVEL: 'info',
    });
    expect(loadConsumerConfig({}).PORT).toBe(9000);
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

  it('when an invalid URL carries credentials, then only what follows the @ is quoted', () => {
    expect(() => loadConsumerConfig({ REDIS_URL: 'http://user:p@ss/w0rd@cache:6379' })).toThrow(
      /^invalid configuration: REDIS_URL: .*\(got "http:\/\/\*\*\*@cache:6379"\)$/,
    );
  });

  it('then the result is frozen', () => {
    expect(Object.isFrozen(loadProducerConfig({}))).toBe(true);
  });
});
