import {
  consumerPerformanceArgs,
  parseConsumerPerformance,
  parseProducerPerformance,
  producerPerformanceArgs,
} from './kafka-tools.ts';

const log4jNoise = 'log4j:WARN No appenders could be found for logger (x).\n';

describe('ProducerPerformance', () => {
  it('when built, then the broker goes in --producer-props with acks=all', () => {
    const args = producerPerformanceArgs({
      bootstrap: '127.0.0.1:9092',
      topic: 't',
      records: 10,
      payloadFile: '/tmp/p',
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
});

describe('ConsumerPerformance', () => {
  it('when built, then it names the bootstrap server, group and bound', () => {
    const options = { bootstrap: 'b:1', topic: 't', records: 5, group: 'g', timeoutMs: 1000 };
    expect(consumerPerformanceArgs(options)).toEqual([
      '--bootstrap-server',
      'b:1',
      '--topic',
      't',
      '--messages',
      '5',
      '--group',
      'g',
      '--timeout',
      '1000',
    ]);
  });
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
