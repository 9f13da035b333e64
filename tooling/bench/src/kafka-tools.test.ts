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

  it('when its output has progress lines and a summary, then the summary is read', () => {
    const output = `${log4jNoise}123 records sent, 24.6 records/sec (0.01 MB/sec), 5.0 ms avg latency, 30.0 ms max latency.
300000 records sent, 146555.935515 records/sec (41.93 MB/sec), 279.85 ms avg latency, 537.00 ms max latency, 322 ms 50th, 498 ms 95th, 513 ms 99th, 530 ms 99.9th.
`;
    expect(parseProducerPerformance(output)).toEqual({
      records: 300_000,
      recordsPerSecond: 146_555.935515,
      avgLatencyMs: 279.85,
      p50Ms: 322,
      p99Ms: 513,
    });
  });

  it('when there is no summary, then it throws with the end of the output', () => {
    expect(() => parseProducerPerformance('Exception in thread "main"')).toThrow(
      /no ProducerPerformance summary.*\n.*Exception/,
    );
  });
});

describe('ConsumerPerformance', () => {
  it('when built, then it names the bootstrap server, group and bound', () => {
    expect(
      consumerPerformanceArgs({
        bootstrap: 'b:1',
        topic: 't',
        records: 5,
        group: 'g',
        timeoutMs: 1000,
      }),
    ).toEqual([
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

  it('when its output has the header and values, then the fetch rate is read by column name', () => {
    const output = `${log4jNoise}start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-21 23:43:28:622, 2026-11-21 23:43:29:537, 85.8307, 93.8040, 300000, 327868.8525, 355, 560, 153.2691, 535714.2857
`;
    expect(parseConsumerPerformance(output)).toEqual({
      records: 300_000,
      recordsPerSecond: 327_868.8525,
      rebalanceMs: 355,
      fetchMs: 560,
      fetchRecordsPerSecond: 535_714.2857,
    });
  });

  it('when the values line is missing, then it throws', () => {
    expect(() => parseConsumerPerformance('start.time, end.time\n')).toThrow(
      'no ConsumerPerformance figures',
    );
  });
});
