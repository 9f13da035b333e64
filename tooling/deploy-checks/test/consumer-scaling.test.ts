import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cfnLint, evaluate, readCloudFormationYaml, type Template } from './cfn.ts';
import {
  applyPatches,
  type Patch,
  renderAutoscaling,
  type ServiceManifest,
} from './copilot/render.ts';
import { listEnvironments, readYaml } from './repo.ts';

// The consumer's task count follows its group's lag, not CPU (issue #15, docs/operations.md
// "Scaling"): copilot/consumer/overrides/cfn.patches.yml removes the CPU policy Copilot writes
// for the manifest's range and adds two step policies on consumer_group_lag. Applied here, as
// `copilot svc deploy` does, to Copilot's own autoscaling resources (copilot-autoscaling.yml)
// for every environment.

type Properties = Record<string, unknown>;
interface MetricQuery {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric: {
      Namespace: unknown;
      MetricName: string;
      Dimensions: { Name: string; Value: string }[];
    };
    Period: number;
    Stat: string;
  };
}

const manifest = readYaml<ServiceManifest>('copilot/consumer/manifest.yml');
const ENVIRONMENTS = listEnvironments();
const AUTOSCALING = Object.keys(
  readYaml('tooling/deploy-checks/test/copilot/copilot-autoscaling.yml'),
);

/** The patches on Copilot's autoscaling resources, and the resources they add beside them. */
const scalingPatches = readCloudFormationYaml<Patch[]>(
  'copilot/consumer/overrides/cfn.patches.yml',
).filter((patch) => {
  const [, resources, name = ''] = patch.path.split('/');
  if (resources !== 'Resources') return false;
  const type = (patch.value as { Type?: string } | undefined)?.Type ?? '';
  return AUTOSCALING.includes(name) || /ApplicationAutoScaling|CloudWatch::Alarm/.test(type);
});

/**
 * What the lag alarms of the consumer's metrics addon (the pages) read, each as one metric query
 * would: the scaling alarms must read the same series, and act before them.
 */
const APP = { App: 'my-app', Env: 'test' };
const addon = readCloudFormationYaml<{
  Parameters: { LagThreshold: { Default: number } };
  Resources: Template['Resources'];
}>('copilot/consumer/addons/metrics-alarms.yml');
const pages = Object.values(addon.Resources)
  .filter((resource) => resource.Properties.MetricName === 'consumer_group_lag')
  .map(({ Properties: alarm }) => ({
    read: {
      namespace: evaluate(alarm.Namespace, { params: APP, imports: {} }),
      metric: alarm.MetricName,
      dimensions: alarm.Dimensions,
      period: alarm.Period,
      stat: alarm.Statistic,
    },
    threshold: addon.Parameters.LagThreshold.Default,
    periods: Number(alarm.EvaluationPeriods),
  }));

/** A scaling alarm's metric query in the shape of `pages[].read`. */
const readOf = (query: MetricQuery) => ({
  namespace: evaluate(query.MetricStat?.Metric.Namespace, {
    params: { AppName: APP.App, EnvName: APP.Env },
    imports: {},
  }),
  metric: query.MetricStat?.Metric.MetricName,
  dimensions: query.MetricStat?.Metric.Dimensions,
  period: query.MetricStat?.Period,
  stat: query.MetricStat?.Stat,
});

const deployed = (env: string) => applyPatches(renderAutoscaling(manifest, env), scalingPatches);
const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

describe('Copilot without the patches (the premise)', () => {
  it.each(ENVIRONMENTS)(
    'when the consumer is rendered for %s, then Copilot scales it by target tracking on CPU',
    (env) => {
      const policies = ofType(
        renderAutoscaling(manifest, env),
        'AWS::ApplicationAutoScaling::ScalingPolicy',
      );
      expect(policies.map(([name]) => name)).toEqual([
        'AutoScalingPolicyECSServiceAverageCPUUtilization',
      ]);
      expect(policies[0]?.[1].Properties.PolicyType).toBe('TargetTrackingScaling');
    },
  );
});

describe.each(ENVIRONMENTS)('the consumer deployed to %s', (env) => {
  const template = deployed(env);
  const policies = Object.fromEntries(
    ofType(template, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([name, resource]) => [
      name,
      resource.Properties,
    ]),
  );
  const alarms = Object.fromEntries(
    ofType(template, 'AWS::CloudWatch::Alarm').map(([name, resource]) => [
      name,
      resource.Properties,
    ]),
  );

  it('when its scaling policies are listed, then only two step policies on its range remain', () => {
    expect(Object.keys(policies).sort()).toEqual(['LagScaleInPolicy', 'LagScaleOutPolicy']);
    for (const policy of Object.values(policies)) {
      expect(policy).toMatchObject({
        PolicyType: 'StepScaling',
        ScalingTargetId: { Ref: 'AutoScalingTarget' },
        StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity' },
      });
    }
    expect(stepsOf(policies.LagScaleOutPolicy)).toEqual([
      { MetricIntervalLowerBound: 0, ScalingAdjustment: 1 },
    ]);
    expect(stepsOf(policies.LagScaleInPolicy)).toEqual([
      { MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
    ]);
    expect(template.Resources.AutoScalingTarget?.Properties.MaxCapacity).toBeLessThanOrEqual(8);
  });

  it('when its alarms are read, then each sums the lag of every event topic and drives one policy', () => {
    expect(Object.keys(alarms).sort()).toEqual(['LagScaleInAlarm', 'LagScaleOutAlarm']);
    for (const [alarm, policy] of [
      ['LagScaleOutAlarm', 'LagScaleOutPolicy'],
      ['LagScaleInAlarm', 'LagScaleInPolicy'],
    ] as const) {
      const properties = alarms[alarm] as Properties;
      expect(properties.AlarmActions).toEqual([{ Ref: policy }]);
      // Blind (no task, no collector) changes nothing: the lag alarms page for that.
      expect(properties.TreatMissingData).toBe('notBreaching');
      const queries = properties.Metrics as MetricQuery[];
      const stats = queries.filter((query) => query.MetricStat);
      // The same series as the pages, one per topic: a namespace, dimension or period of its
      // own would leave the alarm without data, and so, with notBreaching, never scaling.
      const byTopic = (reads: { dimensions: unknown }[]) =>
        reads.map((read) => JSON.stringify(read)).sort();
      expect(byTopic(stats.map(readOf))).toEqual(byTopic(pages.map((page) => page.read)));
      const [sum, ...rest] = queries.filter((query) => query.ReturnData !== false);
      expect(rest).toEqual([]);
      expect(
        sum?.Expression?.split('+')
          .map((term) => term.trim())
          .sort(),
      ).toEqual(stats.map((query) => query.Id).sort());
    }
    expect(pages.map((page) => page.read.dimensions)).toEqual([
      [{ Name: 'topic', Value: 'new-user-created' }],
      [{ Name: 'topic', Value: 'issued-token' }],
    ]);
  });

  it('when out and in are compared, then a task is added before a lag pages, and removed only after a longer, lower lag', () => {
    const out = alarms.LagScaleOutAlarm as Properties;
    const into = alarms.LagScaleInAlarm as Properties;
    expect(out.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(into.ComparisonOperator).toBe('LessThanThreshold');
    // A lag that pages (one topic over the threshold for its periods) has scaled out first.
    for (const page of pages) {
      expect(Number(out.Threshold)).toBeLessThanOrEqual(page.threshold);
      expect(Number(out.EvaluationPeriods)).toBeLessThan(page.periods);
    }
    expect(Number(into.Threshold)).toBeLessThan(Number(out.Threshold));
    expect(Number(into.EvaluationPeriods)).toBeGreaterThan(Number(out.EvaluationPeriods));
    expect(into.DatapointsToAlarm).toBe(into.EvaluationPeriods);
    expect(out.DatapointsToAlarm).toBe(out.EvaluationPeriods);
    const settings = (policy: Properties | undefined) =>
      policy?.StepScalingPolicyConfiguration as Properties;
    expect(settings(policies.LagScaleOutPolicy).MetricAggregationType).toBe('Maximum');
    expect(settings(policies.LagScaleInPolicy).MetricAggregationType).toBe('Maximum');
    expect(Number(settings(policies.LagScaleInPolicy).Cooldown)).toBeGreaterThan(
      Number(settings(policies.LagScaleOutPolicy).Cooldown),
    );
  });

  it('when cfn-lint checks the patched resources, then it reports nothing', () => {
    const dir = mkdtempSync(`${tmpdir()}/consumer-scaling-`);
    try {
      const path = `${dir}/scaling.json`;
      writeFileSync(path, JSON.stringify(lintable(template)));
      const result = cfnLint(path);
      expect(result.error).toBeUndefined();
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function stepsOf(policy: Properties | undefined): unknown {
  return (policy?.StepScalingPolicyConfiguration as Properties | undefined)?.StepAdjustments;
}

/**
 * The patched resources in a template cfn-lint can check: Copilot's parameters they use, and
 * the two resources they name that Copilot writes elsewhere (the service and the scaling role).
 */
function lintable(template: Template): unknown {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: Object.fromEntries(
      ['AppName', 'EnvName', 'WorkloadName'].map((name) => [name, { Type: 'String' }]),
    ),
    Resources: {
      ...template.Resources,
      Service: { Type: 'AWS::ECS::Service', Properties: {} },
      AutoScalingRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'ecs-tasks.amazonaws.com' },
                Action: 'sts:AssumeRole',
              },
            ],
          },
        },
      },
    },
  };
}
