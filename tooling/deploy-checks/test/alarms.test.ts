import { evaluate, readTemplate, type Template } from './cfn.ts';
import {
  type Alarm,
  alarmProblems,
  alarmsOf,
  type CodeMetrics,
  type Collector,
  collectorOf,
  type ManifestWithSidecars,
  metricLabels,
} from './copilot/metrics.ts';
import { listFiles, readText, readYaml } from './repo.ts';

// The runbook's alerts exist as CloudWatch alarms and their metrics reach CloudWatch (issue
// #14): a collector sidecar scrapes each service's METRICS_PORT and writes the metrics with the
// dimensions the alarms of copilot/<service>/addons/metrics-alarms.yml watch, and the runbooks
// link each alarm by name.

const SERVICES = ['producer', 'consumer'] as const;
type Service = (typeof SERVICES)[number];
const NAMES = { app: 'kafka-ecs', env: 'test' };
const PORTS: Record<Service, number> = { producer: 9101, consumer: 9100 };
const RUNBOOKS = ['docs/runbooks/dead-letter.md', 'docs/operations.md'];

const manifest = (service: Service) =>
  readYaml<ManifestWithSidecars & { variables: Record<string, unknown> }>(
    `copilot/${service}/manifest.yml`,
  );
const addon = (service: Service) => readTemplate(`copilot/${service}/addons/metrics-alarms.yml`);
const alarms = (service: Service, template: Template = addon(service)) =>
  alarmsOf(template, { App: NAMES.app, Env: NAMES.env, Name: service });
const collector = (service: Service, source: ManifestWithSidecars = manifest(service)) =>
  collectorOf(source, NAMES).collector;

/** Metric labels and the label values the code sets, read from the sources. */
function codeMetrics(service: Service): CodeMetrics {
  const topics = readText('packages/events/src/topics.ts');
  const reasons = readText('packages/events/src/failure-headers.ts').match(
    /DEAD_LETTER_REASONS = \[([^\]]*)\]/,
  )?.[1];
  const group = String(manifest('consumer').variables.CONSUMER_GROUP_ID);
  const suffixes = [
    ...readText('packages/retry/src/retry-system.ts').matchAll(/`\$\{groupId\}(\.[\w-]+)`/g),
  ].map((match) => `${group}${match[1]}`);
  const publisher = readText('services/producer/src/infra/kafka-event-publisher.ts');
  return {
    labels: metricLabels(readText(`services/${service}/src/infra/metrics.ts`)),
    values: {
      topic: [...topics.matchAll(/: '([a-z-]+)'/g)].map((match) => match[1] as string),
      reason: [...(reasons ?? '').matchAll(/'([\w-]+)'/g)].map((match) => match[1] as string),
      group: suffixes,
      outcome: [
        ...new Set([...publisher.matchAll(/outcome: '(\w+)'/g)].map((match) => match[1] as string)),
      ],
    },
  };
}

const runbookText = () => RUNBOOKS.map(readText).join('\n');
/** The alarms no runbook names (by `<app>-<env>-` and the rest of its name) with a link. */
function unlinked(list: Alarm[], text: string): string[] {
  return list
    .map((alarm) => alarm.name.replace(`${NAMES.app}-${NAMES.env}-`, ''))
    .filter((suffix) => !text.includes(`alarmsV2:alarm/<app>-<env>-${suffix})`));
}

describe.each(SERVICES)('the %s metrics in CloudWatch', (service) => {
  it('when a task runs, then a non-essential collector sidecar on a pinned image scrapes its METRICS_PORT', () => {
    const { sidecar, collector: config } = collectorOf(manifest(service), NAMES);
    expect(sidecar.image).toMatch(
      /^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/,
    );
    expect(sidecar.essential).toBe(false);
    expect(config.targets).toEqual([`127.0.0.1:${PORTS[service]}`]);
    expect(config.metricsPath).toBe('/metrics');
    // The port is the config's default, which the manifest does not change.
    expect(readText(`packages/config/src/${service}-config.ts`)).toMatch(
      new RegExp(`METRICS_PORT: port\\(${PORTS[service]}\\)`),
    );
    expect(manifest(service).variables.METRICS_PORT).toBeUndefined();
  });

  it("when a counter first counts (a task's first dead letter or publish failure), then the collector sends that value", () => {
    expect(collector(service).sendsFirstValue).toBe(true);
  });

  it('when the collector writes, then the task role may write that log group and nothing else beside Kafka', () => {
    const template = addon(service);
    const scope = { params: { App: NAMES.app, Env: NAMES.env, Name: service }, imports: {} };
    const group = template.Resources.MetricsLogGroup?.Properties.LogGroupName;
    expect(evaluate(group, scope)).toBe(collector(service).logGroup);
    const document = template.Resources.MetricsPublishPolicy?.Properties.PolicyDocument as
      | { Statement: unknown[] }
      | undefined;
    const statements = document?.Statement;
    expect(statements).toEqual([
      {
        Sid: 'WriteMetrics',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        Resource: { 'Fn::Sub': `\${MetricsLogGroup.Arn}` },
      },
    ]);
    expect(template.Outputs?.MetricsPublishPolicyArn?.Value).toEqual({
      Ref: 'MetricsPublishPolicy',
    });
    // Every managed policy of the service's addons: Kafka (kafka-access.yml) or this one.
    const policies = listFiles(`copilot/${service}/addons`, '.yml')
      .filter((path) => !path.endsWith('addons.parameters.yml'))
      .flatMap((path) =>
        Object.entries(readTemplate(path).Resources)
          .filter(([, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy')
          .map(([id]) => `${path.split('/').pop()}#${id}`),
      )
      .sort();
    expect(policies).toEqual([
      'kafka-access.yml#KafkaAccessPolicy',
      'metrics-alarms.yml#MetricsPublishPolicy',
    ]);
  });

  it('when an alarm watches a metric, then the code emits it with those labels and values and the collector writes it with those dimensions', () => {
    const list = alarms(service);
    expect(list).not.toHaveLength(0);
    // Read once for all alarms: the manifest's collector and the code's metrics.
    const [written, emitted] = [collector(service), codeMetrics(service)];
    expect(list.flatMap((alarm) => alarmProblems(alarm, written, emitted))).toEqual([]);
  });
});

describe('the runbook alerts as alarms', () => {
  it('when the runbook alerts are listed, then each has its alarm: dead letters, retry lag, consumer lag, publish failures', () => {
    const watched = [...alarms('consumer'), ...alarms('producer')].map(
      (alarm) => `${alarm.metric} ${JSON.stringify(alarm.dimensions)}`,
    );
    expect(watched.sort()).toEqual(
      [
        'consumer_dead_lettered_total {"reason":"exhausted"}',
        'consumer_dead_lettered_total {"reason":"non-retryable"}',
        'consumer_retry_lag {"group":"consumer-svc.retry"}',
        'consumer_retry_lag {"group":"consumer-svc.dead-letters"}',
        'consumer_lag {"topic":"new-user-created"}',
        'consumer_lag {"topic":"issued-token"}',
        'producer_events_published_total {"outcome":"failed"}',
      ].sort(),
    );
  });

  it('when an alarm fires, then a runbook links it by name', () => {
    expect(unlinked([...alarms('consumer'), ...alarms('producer')], runbookText())).toEqual([]);
  });
});

// Must-fail controls: mutated copies the checks above must reject.
describe('the alarm checks are real', () => {
  const base = alarms('consumer').find(
    (alarm) => alarm.id === 'DeadLettersExhaustedAlarm',
  ) as Alarm;
  const code = codeMetrics('consumer');

  it('when an alarm watches a metric the code does not emit, or a label value it never sets, then it is reported', () => {
    expect(
      alarmProblems(
        { ...base, metric: 'consumer_dead_letters_total' },
        collector('consumer'),
        code,
      ),
    ).toEqual([
      'DeadLettersExhaustedAlarm: consumer_dead_letters_total is not a metric of the code',
      'DeadLettersExhaustedAlarm: the collector does not write consumer_dead_letters_total by [reason]',
    ]);
    expect(
      alarmProblems({ ...base, dimensions: { reason: 'expired' } }, collector('consumer'), code),
    ).toEqual(['DeadLettersExhaustedAlarm: reason=expired is never set by the code']);
  });

  it('when the collector drops the dimension, rolls dimensions up or writes another namespace, then it is reported', () => {
    const mutated: Collector = {
      ...collector('consumer'),
      declared: { consumer_dead_lettered_total: [['topic']] },
      rollup: 'ZeroAndSingleDimensionRollup',
      namespace: 'kafka-ecs',
    };
    expect(alarmProblems(base, mutated, code)).toEqual([
      'DeadLettersExhaustedAlarm: the collector does not write consumer_dead_lettered_total by [reason]',
      'DeadLettersExhaustedAlarm: rollup ZeroAndSingleDimensionRollup adds dimension sets the alarms ignore',
      'DeadLettersExhaustedAlarm: namespace kafka-ecs/test is not kafka-ecs',
    ]);
  });

  it('when the collector scrapes the public port, then the sidecar check fails', () => {
    const source = structuredClone(manifest('producer'));
    const variables = source.sidecars?.metrics?.variables as Record<string, string>;
    variables.AOT_CONFIG_CONTENT = String(variables.AOT_CONFIG_CONTENT).replace(
      '127.0.0.1:9101',
      '127.0.0.1:9001',
    );
    expect(collector('producer', source).targets).not.toEqual([`127.0.0.1:${PORTS.producer}`]);
  });

  it('when the collector keeps first values as a baseline (control), then the check sees it', () => {
    const source = structuredClone(manifest('consumer'));
    const variables = source.sidecars?.metrics?.variables as Record<string, string>;
    variables.AOT_CONFIG_CONTENT = String(variables.AOT_CONFIG_CONTENT).replace(
      'retain_initial_value_of_delta_metric: true',
      '',
    );
    expect(collector('consumer', source).sendsFirstValue).toBe(false);
  });

  it('when a runbook loses an alarm link, then it is reported', () => {
    const text = runbookText().replace('alarmsV2:alarm/<app>-<env>-producer-publish-failures)', '');
    expect(unlinked(alarms('producer'), text)).toEqual(['producer-publish-failures']);
  });

  it('when the code is read, then the label values the alarms rely on are found there (the reading is real)', () => {
    expect(code.values).toMatchObject({
      reason: ['exhausted', 'non-retryable'],
      group: ['consumer-svc.retry', 'consumer-svc.dead-letters'],
    });
    expect(code.labels.consumer_retry_lag).toEqual(['group', 'topic', 'partition']);
    expect(codeMetrics('producer').values.outcome).toEqual(['ok', 'failed']);
  });
});
