import {
  consumerPerformanceArgs,
  hasUnifiedToolOptions,
  javaClientProperties,
  parseConsumerPerformance,
  parseProducerPerformance,
  producerPerformanceArgs,
} from './kafka-tools.ts';

const log4jNoise = 'log4j:WARN No appenders could be found for logger (x).\n';

describe('ProducerPerformance', () => {
  it('when built for Kafka 3.x, then the broker goes in --producer-props with acks=all', () => {
    const args = producerPerformanceArgs({
      bootstrap: '127.0.0.1:9092',
      topic: 't',
      records: 10,
      payloadFile: '/tmp/p',
      kafkaVersion: '3.9.2',
    });
    expect(args.slice(args.indexOf('--producer-props'))).toEqual([
      '--producer-props',
      'bootstrap.servers=127.0.0.1:9092',
      'acks=all',
    ]);
    expect(args).toEqual(
      expect.arrayContaining(['--throughput', '-1', '--payload-file', '/tmp/p']),
    );
  });

  it('when built for Kafka 4.2 or later, then --bootstrap-server and --command-property acks=all', () => {
    const args = producerPerformanceArgs({
      bootstrap: '127.0.0.1:9092',
      topic: 't',
      records: 10,
      payloadFile: '/tmp/p',
      kafkaVersion: '4.4.0',
    });
    expect(args.slice(0, 2)).toEqual(['--bootstrap-server', '127.0.0.1:9092']);
    expect(args.slice(-2)).toEqual(['--command-property', 'acks=all']);
    expect(args).not.toContain('--producer-props');
  });
});

describe('which option names the tools take', () => {
  it.each([
    ['3.9.2', false],
    ['4.0.1', false],
    ['4.1.1', false],
    ['4.2.0', true],
    ['4.4.0', true],
    ['5.0.0', true],
  ])('when the tools are Kafka %s, then the unified names (4.2+) are %s', (version, unified) => {
    expect(hasUnifiedToolOptions(version)).toBe(unified);
  });
});

describe('Java client settings for a secured broker', () => {
  /** What java.util.Properties.load reads back from one `key=value` line. */
  const propertiesOf = (text: string) =>
    new Map(
      text
        .trimEnd()
        .split('\n')
        .map((line) => {
          const at = line.indexOf('=');
          const value = line
            .slice(at + 1)
            .replace(/\\u([0-9a-f]{4})|\\(.)/g, (_, code: string | undefined, char: string) =>
              code === undefined ? char : String.fromCharCode(Number.parseInt(code, 16)),
            );
          return [line.slice(0, at), value] as const;
        }),
    );

  it('when the broker is plain, then there is no file to write', () => {
    expect(javaClientProperties({})).toBeUndefined();
  });

  it('when TLS with a private CA and SCRAM are named, then both reach the Java client', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const text = javaClientProperties({
      ssl: { ca },
      sasl: { mechanism: 'scram-sha-512', username: 'bench', password: 'p"a\\ss é' },
    });
    if (text === undefined) throw new Error('expected settings for a secured broker');
    // One line per key, ASCII only (Kafka reads the file as ISO-8859-1).
    expect(text).toMatch(/^[\x20-\x7e\n]+$/);
    const properties = propertiesOf(text);
    expect(properties.get('security.protocol')).toBe('SASL_SSL');
    expect(properties.get('ssl.truststore.type')).toBe('PEM');
    expect(properties.get('ssl.truststore.certificates')).toBe(ca);
    expect(properties.get('sasl.mechanism')).toBe('SCRAM-SHA-512');
    expect(properties.get('sasl.jaas.config')).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="bench" password="p\\"a\\\\ss é";',
    );
  });

  it('when only TLS with the system CAs is named, then the protocol is SSL and no truststore is set', () => {
    expect(javaClientProperties({ ssl: true })).toBe('security.protocol=SSL\n');
  });

  it('when only SCRAM is named, then the protocol is SASL_PLAINTEXT', () => {
    const text =
      javaClientProperties({
        sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
      }) ?? '';
    expect(propertiesOf(text).get('security.protocol')).toBe('SASL_PLAINTEXT');
    expect(propertiesOf(text).get('sasl.mechanism')).toBe('SCRAM-SHA-256');
  });

  it.each([
    ['3.9.2', '--producer.config', '--consumer.config'],
    ['4.4.0', '--command-config', '--command-config'],
  ])(
    'when a settings file is given to the Kafka %s tools, then they take it as %s and %s',
    (kafkaVersion, producerFlag, consumerFlag) => {
      const producer = producerPerformanceArgs({
        bootstrap: 'b:1',
        topic: 't',
        records: 1,
        payloadFile: '/tmp/p',
        configFile: '/tmp/c.properties',
        kafkaVersion,
      });
      expect(producer.slice(0, 2)).toEqual([producerFlag, '/tmp/c.properties']);
      const consumer = consumerPerformanceArgs({
        bootstrap: 'b:1',
        topic: 't',
        records: 1,
        group: 'g',
        timeoutMs: 1,
        configFile: '/tmp/c.properties',
        kafkaVersion,
      });
      expect(consumer.slice(0, 2)).toEqual([consumerFlag, '/tmp/c.properties']);
    },
  );
});

describe('ConsumerPerformance', () => {
  const options = { bootstrap: 'b:1', topic: 't', records: 5, group: 'g', timeoutMs: 1000 };
  it.each([
    ['3.9.2', '--messages'],
    ['4.4.0', '--num-records'],
  ])(
    'when built for Kafka %s, then it names the bootstrap server, group and bound, and the count as %s',
    (kafkaVersion, countFlag) => {
      expect(consumerPerformanceArgs({ ...options, kafkaVersion })).toEqual([
        '--bootstrap-server',
        'b:1',
        '--topic',
        't',
        countFlag,
        '5',
        '--group',
        'g',
        '--timeout',
        '1000',
      ]);
    },
  );
});

// The two tools print their figures differently; what is read from them is tested alike.
describe('reading the figures from a tool output', () => {
  it.each([
    {
      tool: 'ProducerPerformance',
      parse: parseProducerPerformance,
      how: 'from the summary after the progress lines',
      output: `${log4jNoise}123 records sent, 24.6 records/sec (0.01 MB/sec), 5.0 ms avg latency, 30.0 ms max latency.
300000 records sent, 146555.935515 records/sec (41.93 MB/sec), 279.85 ms avg latency, 537.00 ms max latency, 322 ms 50th, 498 ms 95th, 513 ms 99th, 530 ms 99.9th.
`,
      figures: {
        records: 300_000,
        recordsPerSecond: 146_555.935515,
        avgLatencyMs: 279.85,
        p50Ms: 322,
        p99Ms: 513,
      },
    },
    {
      tool: 'ConsumerPerformance',
      parse: parseConsumerPerformance,
      how: 'from the values under the header, by column name',
      output: `${log4jNoise}start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-21 23:43:28:622, 2026-11-21 23:43:29:537, 85.8307, 93.8040, 300000, 327868.8525, 355, 560, 153.2691, 535714.2857
`,
      figures: {
        records: 300_000,
        recordsPerSecond: 327_868.8525,
        rebalanceMs: 355,
        fetchMs: 560,
        fetchRecordsPerSecond: 535_714.2857,
      },
    },
  ])('when $tool prints its figures, then they are read $how', ({ parse, output, figures }) => {
    expect(parse(output)).toEqual(figures);
  });

  it.each([
    {
      tool: 'ProducerPerformance',
      parse: parseProducerPerformance,
      output: 'Exception in thread "main"',
      error: /no ProducerPerformance summary.*\n.*Exception/,
    },
    {
      tool: 'ConsumerPerformance',
      parse: parseConsumerPerformance,
      output: 'start.time, end.time\n',
      error: /no ConsumerPerformance figures.*\n.*start\.time/,
    },
  ])(
    'when $tool prints no figures, then it throws with the end of the output',
    ({ parse, output, error }) => {
      expect(() => parse(output)).toThrow(error);
    },
  );
});
