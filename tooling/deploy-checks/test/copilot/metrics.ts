import { parse } from 'yaml';
import { evaluate, type Template } from '../cfn.ts';
import { interpolate } from './https.ts';

// Metrics from the services to CloudWatch and the alarms on them: the collector sidecar's
// configuration as a manifest states it, the alarms as an addon states them, and the problems
// that would leave an alarm watching a metric that never arrives.

export interface Collector {
  targets: string[];
  metricsPath: string;
  namespace: string;
  logGroup: string;
  /** The dimension sets the collector writes a metric with, by its name. */
  declared: (name: string) => string[][];
  rollup: string;
  /** Whether a counter's first value is sent (rather than kept as the baseline of its deltas). */
  sendsFirstValue: boolean;
  /** Whether the receiver keeps names as scraped (`trim_metric_suffixes` would drop `_total`). */
  keepsNames: boolean;
}

interface Sidecar {
  image?: string;
  essential?: boolean;
  variables?: Record<string, string>;
}

export interface ManifestWithSidecars {
  sidecars?: Record<string, Sidecar>;
}

/** The `metrics` sidecar of a manifest, interpolated as Copilot would for app and env. */
export function collectorOf(
  manifest: ManifestWithSidecars,
  names: { app: string; env: string },
): { sidecar: Sidecar; collector: Collector } {
  const sidecar = manifest.sidecars?.metrics;
  if (!sidecar) throw new Error('no metrics sidecar');
  const text = interpolate(sidecar.variables?.AOT_CONFIG_CONTENT ?? '', {}, names);
  const config = parse(text) as {
    receivers?: {
      prometheus?: {
        trim_metric_suffixes?: boolean;
        config?: {
          scrape_configs?: { metrics_path?: string; static_configs?: { targets: string[] }[] }[];
        };
      };
    };
    exporters?: {
      awsemf?: {
        namespace?: string;
        log_group_name?: string;
        dimension_rollup_option?: string;
        retain_initial_value_of_delta_metric?: boolean;
        metric_declarations?: { dimensions: string[][]; metric_name_selectors: string[] }[];
      };
    };
    service?: { pipelines?: { metrics?: { receivers?: string[]; exporters?: string[] } } };
  };
  const scrapes = config.receivers?.prometheus?.config?.scrape_configs ?? [];
  const emf = config.exporters?.awsemf ?? {};
  const pipeline = config.service?.pipelines?.metrics;
  if (!pipeline?.receivers?.includes('prometheus') || !pipeline.exporters?.includes('awsemf')) {
    throw new Error('the metrics pipeline does not run prometheus → awsemf');
  }
  const declarations = (emf.metric_declarations ?? []).map((declaration) => ({
    dimensions: declaration.dimensions,
    selectors: declaration.metric_name_selectors.map((selector) => new RegExp(selector)),
  }));
  // The exporter matches a selector as an unanchored regular expression on the metric's name.
  const declared = (name: string) =>
    declarations
      .filter((declaration) => declaration.selectors.some((selector) => selector.test(name)))
      .flatMap((declaration) => declaration.dimensions);
  return {
    sidecar,
    collector: {
      targets: scrapes.flatMap((scrape) => scrape.static_configs?.flatMap((c) => c.targets) ?? []),
      metricsPath: scrapes[0]?.metrics_path ?? '/metrics',
      namespace: emf.namespace ?? '',
      logGroup: emf.log_group_name ?? '',
      declared,
      rollup: emf.dimension_rollup_option ?? 'ZeroAndSingleDimensionRollup',
      sendsFirstValue: emf.retain_initial_value_of_delta_metric === true,
      keepsNames: config.receivers?.prometheus?.trim_metric_suffixes !== true,
    },
  };
}

export interface Alarm {
  id: string;
  name: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  /** Where it notifies when it fires and when it recovers, evaluated (imports by export name). */
  alarmActions: unknown[];
  okActions: unknown[];
}

interface MetricStat {
  Metric: {
    Namespace: unknown;
    MetricName: string;
    Dimensions?: { Name: string; Value: string }[];
  };
}

/**
 * A service addon's alarms, evaluated for app, env and service: a plain metric alarm, or one on
 * metric math (an anomaly band) over a single metric, which is then the alarm's metric.
 */
export function alarmsOf(
  template: Template,
  params: Record<string, string>,
  imports: Record<string, string> = {},
): Alarm[] {
  const scope = { params, imports };
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, resource]) => {
      const p = resource.Properties;
      const stats = ((p.Metrics ?? []) as { MetricStat?: MetricStat }[]).flatMap((m) =>
        m.MetricStat ? [m.MetricStat.Metric] : [],
      );
      if (stats.length > 1) throw new Error(`${id}: more than one metric; extend alarmsOf`);
      const metric = stats[0] ?? {
        Namespace: p.Namespace,
        MetricName: String(p.MetricName),
        Dimensions: p.Dimensions as MetricStat['Metric']['Dimensions'],
      };
      const dimensions = metric.Dimensions ?? [];
      return {
        id,
        name: String(evaluate(p.AlarmName, scope)),
        namespace: String(evaluate(metric.Namespace, scope)),
        metric: metric.MetricName,
        dimensions: Object.fromEntries(dimensions.map((d) => [d.Name, d.Value])),
        alarmActions: ((p.AlarmActions ?? []) as unknown[]).map((a) => evaluate(a, scope)),
        okActions: ((p.OKActions ?? []) as unknown[]).map((a) => evaluate(a, scope)),
      };
    });
}

/** What the code offers: metric name → its label names, and label → the values it can take. */
export interface CodeMetrics {
  labels: Record<string, string[]>;
  values: Record<string, string[]>;
}

/** Why an alarm would never see its metric (empty: it will). */
export function alarmProblems(alarm: Alarm, collector: Collector, code: CodeMetrics): string[] {
  const problems: string[] = [];
  const labels = code.labels[alarm.metric];
  if (!labels) problems.push(`${alarm.id}: ${alarm.metric} is not a metric of the code`);
  const keys = Object.keys(alarm.dimensions).sort();
  for (const key of keys) {
    if (labels && !labels.includes(key))
      problems.push(`${alarm.id}: ${alarm.metric} has no label ${key}`);
    const value = alarm.dimensions[key] as string;
    if (!(code.values[key] ?? []).includes(value)) {
      problems.push(`${alarm.id}: ${key}=${value} is never set by the code`);
    }
  }
  const sets = collector.declared(alarm.metric).map((set) => [...set].sort().join(','));
  if (!sets.includes(keys.join(','))) {
    problems.push(`${alarm.id}: the collector does not write ${alarm.metric} by [${keys}]`);
  }
  if (collector.rollup !== 'NoDimensionRollup') {
    problems.push(`${alarm.id}: rollup ${collector.rollup} adds dimension sets the alarms ignore`);
  }
  if (!collector.keepsNames) {
    problems.push(`${alarm.id}: the receiver trims suffixes, so ${alarm.metric} arrives renamed`);
  }
  if (alarm.namespace !== collector.namespace) {
    problems.push(`${alarm.id}: namespace ${alarm.namespace} is not ${collector.namespace}`);
  }
  return problems;
}

/** Metric name → label names, from `name: '…'` … `labelNames: [...]` in a metrics source. */
export function metricLabels(source: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const blocks = source.split(/(?=\bname: ')/).slice(1);
  for (const block of blocks) {
    const name = block.match(/^name: '(\w+)'/)?.[1];
    if (!name) continue;
    const labels = block.match(/labelNames: \[([^\]]*)\]/)?.[1] ?? '';
    result[name] = [...labels.matchAll(/'(\w+)'/g)].map((match) => match[1] as string);
  }
  return result;
}

/** A metric a metric filter writes from the service's log (a YAML patch of its stack). */
export interface LogMetric {
  id: string;
  logGroup: unknown;
  pattern: string;
  namespace: string;
  metric: string;
  value: string;
  dimensions: string[];
}

/**
 * The metric filters a service's YAML patches add to its stack, evaluated for app and env
 * (Copilot's workload parameters AppName and EnvName).
 */
export function logMetricsOf(
  patches: { op: string; path: string; value?: unknown }[],
  params: { AppName: string; EnvName: string; WorkloadName: string },
): LogMetric[] {
  const scope = { params, imports: {} };
  return patches.flatMap((patch) => {
    const resource = patch.value as { Type?: string; Properties?: Record<string, unknown> };
    if (patch.op !== 'add' || resource?.Type !== 'AWS::Logs::MetricFilter') return [];
    const p = resource.Properties ?? {};
    const transformations = (p.MetricTransformations ?? []) as Record<string, unknown>[];
    return transformations.map((t) => ({
      id: patch.path.split('/').pop() ?? patch.path,
      logGroup: p.LogGroupName,
      pattern: String(p.FilterPattern),
      namespace: String(evaluate(t.MetricNamespace, scope)),
      metric: String(t.MetricName),
      value: String(t.MetricValue),
      // A list of { Key, Value } in CloudFormation, at most 3.
      dimensions: ((t.Dimensions ?? []) as { Key: string }[]).map((d) => d.Key),
    }));
  });
}

/**
 * Why an alarm on a log-derived metric would never see it (empty: it will): the filter must
 * read Copilot's log group of the service, match a message the code logs, and write the metric
 * the alarm watches, once a line, in its namespace and without dimensions it lacks.
 */
export function logMetricProblems(alarm: Alarm, filters: LogMetric[], code: string): string[] {
  const filter = filters.find((each) => each.metric === alarm.metric);
  if (!filter) return [`${alarm.id}: no metric filter writes ${alarm.metric}`];
  const problems: string[] = [];
  if (JSON.stringify(filter.logGroup) !== JSON.stringify({ Ref: 'LogGroup' })) {
    problems.push(`${filter.id}: reads ${JSON.stringify(filter.logGroup)}, not Copilot's LogGroup`);
  }
  const message = filter.pattern.match(/^\{ \$\.msg = "([^"*]+)" \}$/)?.[1];
  if (!message) problems.push(`${filter.id}: pattern ${filter.pattern} is not { $.msg = "…" }`);
  else if (!code.includes(`'${message}'`)) {
    problems.push(`${filter.id}: the code never logs "${message}"`);
  }
  if (filter.namespace !== alarm.namespace) {
    problems.push(`${filter.id}: namespace ${filter.namespace} is not ${alarm.namespace}`);
  }
  if (filter.value !== '1') problems.push(`${filter.id}: counts ${filter.value} a line, not 1`);
  const keys = Object.keys(alarm.dimensions).sort().join(',');
  if (filter.dimensions.sort().join(',') !== keys) {
    problems.push(`${filter.id}: writes dimensions [${filter.dimensions}], the alarm [${keys}]`);
  }
  return problems;
}
