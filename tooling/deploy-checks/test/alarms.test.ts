import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cfnLint, evaluate, readCloudFormationYaml, readTemplate, type Template } from './cfn.ts';
import {
  type Alarm,
  alarmProblems,
  alarmsOf,
  type CodeMetrics,
  type Collector,
  collectorOf,
  type LogMetric,
  logMetricProblems,
  logMetricsOf,
  type ManifestWithSidecars,
  metricLabels,
} from './copilot/metrics.ts';
import { applyPatches, type Patch } from './copilot/render.ts';
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
const topicAddon = () => readTemplate('copilot/environments/addons/alarm-topic.yml');
/** The environment's alarm topic, as the services' addons import it: its export's name. */
const TOPIC = 'the alarm topic';
const topicImport = () => {
  const output = topicAddon().Outputs?.AlarmTopicArn;
  if (JSON.stringify(output?.Value) !== JSON.stringify({ Ref: 'AlarmTopic' })) {
    throw new Error('alarm-topic.yml does not output the topic as AlarmTopicArn');
  }
  const scope = { params: { App: NAMES.app, Env: NAMES.env }, imports: {} };
  return { [String(evaluate(output?.Export?.Name, scope))]: TOPIC };
};
const alarms = (service: Service, template: Template = addon(service)) =>
  alarmsOf(template, { App: NAMES.app, Env: NAMES.env, Name: service }, topicImport());
/** Alarms ECS rolls a deployment back on (named `…-rollback`): they page no one. */
const isRollback = (alarm: Alarm) => alarm.name.endsWith('-rollback');
/** The alarms that page (the runbook's alerts). */
const paging = (service: Service) => alarms(service).filter((alarm) => !isRollback(alarm));
/** The alarms that would not tell the alarm topic both that they fire and that they recover. */
const silent = (list: Alarm[]) =>
  list
    .filter(
      (alarm) =>
        JSON.stringify(alarm.alarmActions) !== JSON.stringify([TOPIC]) ||
        JSON.stringify(alarm.okActions) !== JSON.stringify([TOPIC]),
    )
    .map((alarm) => alarm.id);
const collector = (service: Service, source: ManifestWithSidecars = manifest(service)) =>
  collectorOf(source, NAMES).collector;
/** A copy of the service's manifest whose collector configuration has `from` replaced by `to`. */
function withCollectorText(service: Service, from: string, to: string): ManifestWithSidecars {
  const source = structuredClone(manifest(service));
  const variables = source.sidecars?.metrics?.variables as Record<string, string>;
  const text = String(variables.AOT_CONFIG_CONTENT);
  if (!text.includes(from)) throw new Error(`the collector configuration has no ${from}`);
  variables.AOT_CONFIG_CONTENT = text.replace(from, to);
  return source;
}

const patches = (service: Service) =>
  readCloudFormationYaml<Patch[]>(`copilot/${service}/overrides/cfn.patches.yml`);
/** The metrics the service's stack derives from its log (metric filters its patches add). */
const logMetrics = (service: Service) =>
  logMetricsOf(patches(service), { AppName: NAMES.app, EnvName: NAMES.env, WorkloadName: service });
/** The service's sources that log the lines its log metrics count. */
const LOGGING_CODE: Record<Service, string[]> = {
  producer: ['services/producer/src/domain/user-commits.ts'],
  consumer: [],
};
const loggingCode = (service: Service) => LOGGING_CODE[service].map(readText).join('\n');

/**
 * Copilot's log group resource of a workload stack, as its partial writes it
 * (internal/pkg/template/templates/workloads/partials/cf/loggroup.yml, in every Load Balanced
 * Web Service template whose manifest has no `logging:`): what a metric filter's reference needs.
 */
const COPILOT_LOG_GROUP = {
  Type: 'AWS::Logs::LogGroup',
  Properties: {
    LogGroupName: {
      'Fn::Join': [
        '',
        ['/copilot/', { Ref: 'AppName' }, '-', { Ref: 'EnvName' }, '-', { Ref: 'WorkloadName' }],
      ],
    },
    RetentionInDays: { Ref: 'LogRetention' },
  },
};

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
    const fromLog = new Set(logMetrics(service).map((each) => each.metric));
    const list = alarms(service).filter((alarm) => !fromLog.has(alarm.metric));
    expect(list).not.toHaveLength(0);
    // Read once for all alarms: the manifest's collector and the code's metrics.
    const [written, emitted] = [collector(service), codeMetrics(service)];
    expect(list.flatMap((alarm) => alarmProblems(alarm, written, emitted))).toEqual([]);
  });

  it('when an alarm watches a metric of the log, then a metric filter on Copilot log group counts a line the code logs', () => {
    const filters = logMetrics(service);
    const list = alarms(service).filter((alarm) => filters.some((f) => f.metric === alarm.metric));
    expect(list.map((alarm) => alarm.id)).toEqual(
      service === 'producer' ? ['UserCommitsLostAlarm'] : [],
    );
    const code = loggingCode(service);
    expect(list.flatMap((alarm) => logMetricProblems(alarm, filters, code))).toEqual([]);
  });
});

describe('metrics from the producer log', () => {
  const [lost] = alarms('producer').filter((alarm) => alarm.id === 'UserCommitsLostAlarm');
  const code = loggingCode('producer');

  it.each<[string, (filter: LogMetric) => LogMetric, string]>([
    [
      'a message the code does not log',
      (f) => ({ ...f, pattern: '{ $.msg = "user not committed" }' }),
      'the code never logs "user not committed"',
    ],
    ['another log group', (f) => ({ ...f, logGroup: '/copilot/x' }), "not Copilot's LogGroup"],
    ['another namespace', (f) => ({ ...f, namespace: 'other' }), 'namespace other is not'],
  ])('when the filter had %s (control), then the check rejects it', (_, change, problem) => {
    const filters = logMetrics('producer').map(change);

    expect(logMetricProblems(lost as Alarm, filters, code).join('\n')).toContain(problem);
  });

  it('when the filter writes a dimension the alarm lacks (control), then the check rejects it', () => {
    const dimensioned = patches('producer').map((patch) => {
      const value = patch.value as { Type?: string; Properties?: Record<string, unknown> };
      if (value?.Type !== 'AWS::Logs::MetricFilter') return patch;
      const [transformation] = (value.Properties?.MetricTransformations ?? []) as object[];
      const Dimensions = [{ Key: 'reason', Value: '$.reason' }];
      const Properties = {
        ...value.Properties,
        MetricTransformations: [{ ...transformation, Dimensions }],
      };
      return { ...patch, value: { ...value, Properties } };
    });
    const filters = logMetricsOf(dimensioned, {
      AppName: NAMES.app,
      EnvName: NAMES.env,
      WorkloadName: 'producer',
    });

    expect(logMetricProblems(lost as Alarm, filters, code)).toEqual([
      'UserCommitsLostLogMetric: writes dimensions [reason], the alarm []',
    ]);
  });

  it("when the producer logs, then its error lines reach Copilot's log group in every environment", () => {
    // The filter reads LogGroup, where awslogs writes the app's lines: `logging:` (FireLens)
    // would send them elsewhere, and a LOG_LEVEL above error would drop the lost user's line.
    const source = manifest('producer') as ReturnType<typeof manifest> & {
      logging?: unknown;
      environments?: Record<string, { logging?: unknown; variables?: Record<string, unknown> }>;
    };
    const environments = Object.values(source.environments ?? {});
    expect([source.logging, ...environments.map((env) => env.logging)]).toEqual(
      Array(environments.length + 1).fill(undefined),
    );
    const levels = [
      source.variables.LOG_LEVEL,
      ...environments.map((env) => env.variables?.LOG_LEVEL),
    ];
    for (const level of levels) {
      expect([undefined, 'trace', 'debug', 'info', 'warn', 'error']).toContain(level);
    }
  });

  it("when the patches are applied to Copilot's log group, then cfn-lint accepts the filter", () => {
    // The patches that add a resource of their own (the others change Copilot's).
    const added = patches('producer').filter(
      (patch) => patch.op === 'add' && /^\/Resources\/[^/]+$/.test(patch.path),
    );
    const template = {
      AWSTemplateFormatVersion: '2010-09-09',
      Parameters: Object.fromEntries(
        ['AppName', 'EnvName', 'WorkloadName'].map((name) => [name, { Type: 'String' }]),
      ),
      Resources: {
        LogGroup: COPILOT_LOG_GROUP,
        ...Object.fromEntries(added.map((patch) => [patch.path.split('/').pop(), patch.value])),
      },
    };
    template.Parameters.LogRetention = { Type: 'Number' };
    const dir = mkdtempSync(`${tmpdir()}/log-metrics-`);
    try {
      writeFileSync(`${dir}/template.json`, JSON.stringify(template));
      const result = cfnLint(`${dir}/template.json`);
      expect(result.stdout + result.stderr).toBe('');
      expect(Object.keys(template.Resources)).toContain('UserCommitsLostLogMetric');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The `Alarms` of the Service's DeploymentConfiguration as Copilot renders them for a manifest's
 * `deployment.rollback_alarms` (aws/copilot-cli, partials/cf/service-base-properties.yml and
 * TruncateAlarmName in internal/pkg/template/workload.go): a map names Copilot's own alarms,
 * `<app>-<env>-<svc>-CopilotRollback{CPU,Mem}Alarm`; a list is used as it is; without it there
 * is no list, only an `!If` on GovCloud.
 */
function copilotDeploymentAlarms(rollback: unknown, service: string): unknown {
  if (rollback === null) {
    return {
      'Fn::If': [
        'IsGovCloud',
        { Ref: 'AWS::NoValue' },
        { Enable: false, AlarmNames: [], Rollback: true },
      ],
    };
  }
  const own = {
    cpu_utilization: 'CopilotRollbackCPUAlarm',
    memory_utilization: 'CopilotRollbackMemAlarm',
  };
  const names = Array.isArray(rollback)
    ? rollback
    : Object.entries(own)
        .filter(([metric]) => metric in (rollback as object))
        .map(([, type]) => `${NAMES.app}-${NAMES.env}-${service}-${type}`);
  return { AlarmNames: names, Enable: true, Rollback: true };
}

/**
 * The alarm names in the service's DeploymentConfiguration once its YAML patches are applied to
 * what Copilot renders for its manifest, evaluated for app and env; throws as Copilot's deploy
 * fails when a patch's path is not there.
 */
function deploymentAlarmNames(
  service: Service,
  rollback: unknown = readYaml<{ deployment?: { rollback_alarms?: unknown } }>(
    `copilot/${service}/manifest.yml`,
  ).deployment?.rollback_alarms ?? null,
): unknown[] {
  const rendered = {
    Resources: {
      Service: {
        Type: 'AWS::ECS::Service',
        Properties: {
          DeploymentConfiguration: { Alarms: copilotDeploymentAlarms(rollback, service) },
        },
      },
    },
  };
  const onService = patches(service).filter((patch) =>
    patch.path.startsWith('/Resources/Service/'),
  );
  const patched = applyPatches(rendered, onService);
  const scope = {
    params: { AppName: NAMES.app, EnvName: NAMES.env, WorkloadName: service },
    imports: {},
  };
  const alarmsConfig = patched.Resources.Service.Properties.DeploymentConfiguration.Alarms as {
    AlarmNames: unknown[];
  };
  return alarmsConfig.AlarmNames.map((name) => evaluate(name, scope));
}

describe.each(SERVICES)('the %s deployments', (service) => {
  const rollbackAlarms = () => alarms(service).filter(isRollback);

  it("when a revision fails on its own signal, then ECS rolls it back: the rollback alarm is among the service's deployment alarms", () => {
    const names = rollbackAlarms().map((alarm) => alarm.name);
    expect(names).toEqual([
      service === 'producer'
        ? `${NAMES.app}-${NAMES.env}-producer-publish-failures-rollback`
        : `${NAMES.app}-${NAMES.env}-consumer-batch-failures-rollback`,
    ]);
    const copilotOwn =
      service === 'producer'
        ? ['CopilotRollbackCPUAlarm', 'CopilotRollbackMemAlarm']
        : ['CopilotRollbackMemAlarm'];
    expect(deploymentAlarmNames(service)).toEqual([
      ...copilotOwn.map((type) => `${NAMES.app}-${NAMES.env}-${service}-${type}`),
      ...names,
    ]);
  });

  it('when a rollback alarm fires, then it acts within minutes and pages no one (its paging twin does)', () => {
    const template = addon(service);
    for (const alarm of rollbackAlarms()) {
      const p = template.Resources[alarm.id]?.Properties ?? {};
      expect({ period: p.Period, of: p.EvaluationPeriods, needs: p.DatapointsToAlarm }).toEqual({
        period: 60,
        of: 5,
        needs: 2,
      });
      expect([alarm.alarmActions, alarm.okActions]).toEqual([[], []]);
      const twin = paging(service).find(
        (each) =>
          each.metric === alarm.metric &&
          JSON.stringify(each.dimensions) === JSON.stringify(alarm.dimensions),
      );
      expect(twin?.alarmActions).toEqual([TOPIC]);
    }
  });

  it('when rollback_alarms is a list of names, then the patch appends to it too', () => {
    expect(deploymentAlarmNames(service, ['their-alarm'])).toEqual([
      'their-alarm',
      ...rollbackAlarms().map((alarm) => alarm.name),
    ]);
  });

  it('when rollback_alarms is left out (control), then there is no list and the patch fails the deploy', () => {
    expect(() => deploymentAlarmNames(service, null)).toThrow(
      /unable to apply the "add" patch at index \d+: key "AlarmNames" not found/,
    );
  });
});

describe('the runbook alerts as alarms', () => {
  it('when the runbook alerts are listed, then each has its alarm: dead letters, retries scheduled, retry infrastructure, retry lag, consumer lag, a lost view, held batches, publish failures, hashes refused, users lost', () => {
    const watched = [...paging('consumer'), ...paging('producer')].map(
      (alarm) => `${alarm.metric} ${JSON.stringify(alarm.dimensions)}`,
    );
    expect(watched.sort()).toEqual(
      [
        'consumer_dead_lettered_total {"reason":"exhausted"}',
        'consumer_dead_lettered_total {"reason":"non-retryable"}',
        'consumer_retries_scheduled_total {}',
        'consumer_retry_infrastructure_failures_total {}',
        'consumer_retry_group_lag {"group":"consumer-svc.retry"}',
        'consumer_retry_group_lag {"group":"consumer-svc.dead-letters"}',
        'consumer_group_lag {"topic":"new-user-created"}',
        'consumer_group_lag {"topic":"issued-token"}',
        'consumer_view_lost {}',
        'consumer_batch_failures_total {}',
        'producer_events_published_total {"outcome":"failed"}',
        'producer_password_hashes_refused_total {}',
        'producer_user_commits_lost_logged {}',
      ].sort(),
    );
  });

  it('when an alarm fires, then a runbook links it by name', () => {
    expect(unlinked([...paging('consumer'), ...paging('producer')], runbookText())).toEqual([]);
  });
  it('when an alarm fires or recovers, then it notifies the environment alarm topic', () => {
    const list = [...paging('consumer'), ...paging('producer')];
    expect(list).toHaveLength(13);
    expect(silent(list)).toEqual([]);
  });
});

describe('the alarm topic (environment addon alarm-topic.yml)', () => {
  const template = topicAddon();
  const resource = (id: string) => template.Resources[id];
  const statements = (id: string, key: string) =>
    (resource(id)?.Properties[key] as { Statement: Record<string, unknown>[] } | undefined)
      ?.Statement ?? [];

  it('when CloudWatch publishes, then the topic is encrypted with a rotating key of its own that CloudWatch of this account may use', () => {
    expect(resource('AlarmTopic')?.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlarmTopicKey' });
    expect(resource('AlarmTopicKey')?.Properties.EnableKeyRotation).toBe(true);
    const cloudWatch = statements('AlarmTopicKey', 'KeyPolicy').filter(
      (statement) =>
        JSON.stringify(statement.Principal) !==
        JSON.stringify({
          AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root` },
        }),
    );
    expect(cloudWatch).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
  });

  it("when anyone publishes, then only this account's alarms of this environment may, and only over TLS", () => {
    const [allow, deny] = statements('AlarmTopicPolicy', 'PolicyDocument');
    expect(allow).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:\${App}-\${Env}-*`,
          },
        },
      },
    });
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    // Every alarm's name falls under the policy's pattern.
    for (const alarm of [...alarms('consumer'), ...alarms('producer')]) {
      expect(alarm.name.startsWith(`${NAMES.app}-${NAMES.env}-`)).toBe(true);
    }
  });

  it('when AlarmEmail is set, then that address is subscribed; empty (the default), no subscription', () => {
    expect(resource('AlarmEmailSubscription')).toMatchObject({
      Condition: 'HasEmail',
      Properties: { Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } },
    });
    expect(
      readYaml<{ Parameters: Record<string, string> }>(
        'copilot/environments/addons/addons.parameters.yml',
      ).Parameters.AlarmEmail,
    ).toBe('');
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
      declared: () => [['topic']],
      rollup: 'ZeroAndSingleDimensionRollup',
      namespace: 'kafka-ecs',
    };
    expect(alarmProblems(base, mutated, code)).toEqual([
      'DeadLettersExhaustedAlarm: the collector does not write consumer_dead_lettered_total by [reason]',
      'DeadLettersExhaustedAlarm: rollup ZeroAndSingleDimensionRollup adds dimension sets the alarms ignore',
      'DeadLettersExhaustedAlarm: namespace kafka-ecs/test is not kafka-ecs',
    ]);
  });

  it('when the receiver trims metric suffixes (control: _total dropped), then the alarm is reported', () => {
    const source = withCollectorText(
      'consumer',
      '\n  prometheus:\n',
      '\n  prometheus:\n    trim_metric_suffixes: true\n',
    );
    expect(alarmProblems(base, collector('consumer', source), code)).toEqual([
      'DeadLettersExhaustedAlarm: the receiver trims suffixes, so consumer_dead_lettered_total arrives renamed',
    ]);
  });

  it('when the collector scrapes the public port, then the sidecar check fails', () => {
    const source = withCollectorText('producer', '127.0.0.1:9101', '127.0.0.1:9001');
    expect(collector('producer', source).targets).not.toEqual([`127.0.0.1:${PORTS.producer}`]);
  });

  it('when the collector keeps first values as a baseline (control), then the check sees it', () => {
    const source = withCollectorText('consumer', 'retain_initial_value_of_delta_metric: true', '');
    expect(collector('consumer', source).sendsFirstValue).toBe(false);
  });

  it('when an alarm loses its notification on firing or on recovery, then it is reported', () => {
    const template = addon('producer');
    const properties = template.Resources.PublishFailuresAlarm?.Properties as Record<
      string,
      unknown
    >;
    delete properties.OKActions;
    expect(silent(alarms('producer', template).filter((alarm) => !isRollback(alarm)))).toEqual([
      'PublishFailuresAlarm',
    ]);
    properties.OKActions = properties.AlarmActions;
    properties.AlarmActions = [];
    expect(silent(alarms('producer', template).filter((alarm) => !isRollback(alarm)))).toEqual([
      'PublishFailuresAlarm',
    ]);
  });

  it('when a declaration selects a metric by a pattern, then the collector check matches it as the exporter does (unanchored)', () => {
    const source = withCollectorText(
      'consumer',
      'metric_name_selectors: [consumer_group_lag]',
      'metric_name_selectors: [group_lag$]',
    );
    const lag = alarms('consumer').find((alarm) => alarm.id === 'IssuedTokenLagAlarm') as Alarm;
    expect(alarmProblems(lag, collector('consumer', source), code)).toEqual([]);
    const anchored = withCollectorText(
      'consumer',
      'metric_name_selectors: [consumer_group_lag]',
      'metric_name_selectors: [^group_lag]',
    );
    expect(alarmProblems(lag, collector('consumer', anchored), code)).toEqual([
      'IssuedTokenLagAlarm: the collector does not write consumer_group_lag by [topic]',
    ]);
  });

  it('when a runbook loses an alarm link, then it is reported', () => {
    const text = runbookText().replace('alarmsV2:alarm/<app>-<env>-producer-publish-failures)', '');
    expect(unlinked(paging('producer'), text)).toEqual(['producer-publish-failures']);
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
