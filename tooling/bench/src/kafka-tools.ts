import type { KafkaSecurity } from '@kafka-ecs/testing';

/**
 * Kafka's own perf tools (org.apache.kafka.tools in the kafka-tools artifact): their command
 * lines, their client settings for a secured broker, and the figures read from their output.
 * Pure, so all of it is unit-tested.
 */

export const PRODUCER_PERFORMANCE = 'org.apache.kafka.tools.ProducerPerformance';
export const CONSUMER_PERFORMANCE = 'org.apache.kafka.tools.ConsumerPerformance';

/**
 * Kafka 4.2 gave both tools the same option names (`--command-config`, `--command-property`,
 * `--num-records`, `--bootstrap-server` for the producer too) and deprecated the old ones, which
 * a later release removes; 3.x knows only the old. So the names follow the version whose jars
 * run the tool (the stack's, see @kafka-ecs/devstack `kafkaVersion`).
 */
export function hasUnifiedToolOptions(kafkaVersion: string): boolean {
  const [major = 0, minor = 0] = kafkaVersion.split('.').map(Number);
  return major > 4 || (major === 4 && minor >= 2);
}

/** ProducerPerformance at full speed with acks from all in-sync replicas (as the publisher). */
export function producerPerformanceArgs(options: {
  bootstrap: string;
  topic: string;
  records: number;
  payloadFile: string;
  /** The Java client settings for a secured broker (see `javaClientProperties`). */
  configFile?: string;
  /** The version of the kafka-tools jar that runs it. */
  kafkaVersion: string;
}): string[] {
  const unified = hasUnifiedToolOptions(options.kafkaVersion);
  const run = [
    '--topic',
    options.topic,
    '--num-records',
    String(options.records),
    '--throughput',
    '-1',
    '--payload-file',
    options.payloadFile,
  ];
  if (!unified) {
    return [
      ...(options.configFile === undefined ? [] : ['--producer.config', options.configFile]),
      ...run,
      // Before 4.2 the broker address goes into the producer's own properties.
      '--producer-props',
      `bootstrap.servers=${options.bootstrap}`,
      'acks=all',
    ];
  }
  return [
    ...(options.configFile === undefined ? [] : ['--command-config', options.configFile]),
    '--bootstrap-server',
    options.bootstrap,
    ...run,
    '--command-property',
    'acks=all',
  ];
}

export function consumerPerformanceArgs(options: {
  bootstrap: string;
  topic: string;
  records: number;
  group: string;
  timeoutMs: number;
  /** The Java client settings for a secured broker (see `javaClientProperties`). */
  configFile?: string;
  /** The version of the kafka-tools jar that runs it. */
  kafkaVersion: string;
}): string[] {
  const unified = hasUnifiedToolOptions(options.kafkaVersion);
  return [
    ...(options.configFile === undefined
      ? []
      : [unified ? '--command-config' : '--consumer.config', options.configFile]),
    '--bootstrap-server',
    options.bootstrap,
    '--topic',
    options.topic,
    unified ? '--num-records' : '--messages',
    String(options.records),
    '--group',
    options.group,
    '--timeout',
    String(options.timeoutMs),
  ];
}

/**
 * The Java client's properties for the same TLS and SCRAM the bench's Node clients use, so the
 * perf tools measure the same secured broker; undefined for a plain one. The CA goes inline as a
 * PEM truststore (no keystore file to make) and the credentials into a JAAS line: the caller
 * writes this to a file only its user can read, never to the command line, which `ps` shows.
 */
export function javaClientProperties(security: KafkaSecurity): string | undefined {
  const { ssl, sasl } = security;
  if (ssl === undefined && sasl === undefined) return undefined;
  const lines = [
    `security.protocol=${sasl === undefined ? 'SSL' : ssl === undefined ? 'SASL_PLAINTEXT' : 'SASL_SSL'}`,
  ];
  if (ssl !== undefined && ssl !== true) {
    lines.push('ssl.truststore.type=PEM', `ssl.truststore.certificates=${propertyValue(ssl.ca)}`);
  }
  if (sasl !== undefined) {
    lines.push(
      `sasl.mechanism=${sasl.mechanism.toUpperCase()}`,
      propertyValue(
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasString(sasl.username)} password=${jaasString(sasl.password)};`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A java.util.Properties value on one line: backslashes escaped, and everything outside printable
 * ASCII (line ends, and any non-ASCII, since Kafka loads the file as ISO-8859-1) as \uXXXX.
 */
function propertyValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JAAS option value: double-quoted, with quotes and backslashes escaped (JaasConfig's rules). */
function jaasString(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

export interface ProducerPerformanceResult {
  records: number;
  recordsPerSecond: number;
  avgLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The summary line, e.g. `300000 records sent, 146555.9 records/sec (41.93 MB/sec), 279.85 ms
 * avg latency, 537.00 ms max latency, 322 ms 50th, 498 ms 95th, 513 ms 99th, 530 ms 99.9th.`
 * (the progress lines before it have no percentiles).
 */
export function parseProducerPerformance(output: string): ProducerPerformanceResult {
  const line = output
    .split('\n')
    .reverse()
    .find((candidate) => /records sent,.*50th/.test(candidate));
  const match = line?.match(
    /(\d+) records sent, ([\d.]+) records\/sec .*?, ([\d.]+) ms avg latency.*?([\d.]+) ms 50th.*?([\d.]+) ms 99th,/,
  );
  if (!match) throw new Error(`no ProducerPerformance summary in its output:\n${tail(output)}`);
  const [, records, rate, avg, p50, p99] = match.map(Number);
  return {
    records: records as number,
    recordsPerSecond: rate as number,
    avgLatencyMs: avg as number,
    p50Ms: p50 as number,
    p99Ms: p99 as number,
  };
}

export interface ConsumerPerformanceResult {
  records: number;
  /** Over the whole run, group join included. */
  recordsPerSecond: number;
  rebalanceMs: number;
  fetchMs: number;
  /** Over the fetch time only (the group join excluded): the figure the bench compares with. */
  fetchRecordsPerSecond: number;
}

/** The header line names the columns; the next line holds the values (comma-separated). */
export function parseConsumerPerformance(output: string): ConsumerPerformanceResult {
  const lines = output.split('\n').map((line) => line.trim());
  const headerIndex = lines.findIndex((line) => line.startsWith('start.time,'));
  const header = lines[headerIndex]?.split(',').map((cell) => cell.trim());
  const values = lines[headerIndex + 1]?.split(',').map((cell) => cell.trim());
  if (headerIndex < 0 || !header || !values || values.length !== header.length) {
    throw new Error(`no ConsumerPerformance figures in its output:\n${tail(output)}`);
  }
  const column = (name: string) => {
    const value = Number(values[header.indexOf(name)]);
    if (!header.includes(name) || !Number.isFinite(value)) {
      throw new Error(`ConsumerPerformance output has no number for ${name}:\n${tail(output)}`);
    }
    return value;
  };
  return {
    records: column('data.consumed.in.nMsg'),
    recordsPerSecond: column('nMsg.sec'),
    rebalanceMs: column('rebalance.time.ms'),
    fetchMs: column('fetch.time.ms'),
    fetchRecordsPerSecond: column('fetch.nMsg.sec'),
  };
}

const tail = (output: string) => output.trim().split('\n').slice(-10).join('\n');
