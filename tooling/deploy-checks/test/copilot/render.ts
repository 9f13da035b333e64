import { parse } from 'yaml';
import { parseCloudFormationYaml, type Template } from '../cfn.ts';
import { readText } from '../repo.ts';

// What Copilot renders for our manifests, as far as its Lambda functions go, and its YAML
// patches applied the way `copilot svc deploy` / `copilot env deploy` apply them. There is no
// Copilot CLI here: the functions' text comes from copilot-lambdas.yml (extracted from
// aws/copilot-cli's templates) and which of them a stack holds follows the conditions of
// Copilot's templates, quoted below.

export interface CopilotFunction {
  stack: 'workload' | 'environment';
  partial: string;
  code: string;
  handlerExport: string;
  template: string;
}

export interface CopilotLambdas {
  source: { repository: string; commit: string; date: string };
  functions: Record<string, CopilotFunction>;
}

export function readCopilotLambdas(): CopilotLambdas {
  return parse(
    readText('tooling/deploy-checks/test/copilot/copilot-lambdas.yml'),
  ) as CopilotLambdas;
}

export interface ServiceManifest {
  type: string;
  http?: false | Record<string, unknown>;
  nlb?: unknown;
  count?: unknown;
  environments?: Record<string, { count?: unknown; http?: unknown; nlb?: unknown } | null>;
}

/** A service's `count` as the manifest writes it: a number, or a range with its metrics. */
export type Count =
  | number
  | {
      range?: string | { min?: number; max?: number; spot_from?: number };
      cpu_percentage?: number | { value: number; cooldown?: unknown };
      memory_percentage?: number | { value: number; cooldown?: unknown };
      requests?: unknown;
      response_time?: unknown;
      cooldown?: unknown;
      spot?: unknown;
    };

/**
 * A service's `count` in one environment: Copilot merges the environment's fields over the
 * service's (a range's min and max each), so a metric the service names stays unless replaced.
 */
export function countIn(manifest: ServiceManifest, env: string): Count | undefined {
  const base = manifest.count as Count | undefined;
  const override = manifest.environments?.[env]?.count as Count | undefined;
  if (override === undefined) return base;
  if (typeof override !== 'object' || typeof base !== 'object') return override;
  const range =
    typeof base.range === 'object' && typeof override.range === 'object'
      ? { ...base.range, ...override.range }
      : (override.range ?? base.range);
  return { ...base, ...override, range };
}

/**
 * The autoscaling resources of a service's stack in one environment, as Copilot writes them
 * (copilot-autoscaling.yml): the scalable target and a target-tracking policy per metric the
 * manifest names; none when the count is not a range.
 */
export function renderAutoscaling(manifest: ServiceManifest, env: string): Template {
  const count = countIn(manifest, env);
  if (typeof count !== 'object' || count.range === undefined) return { Resources: {} };
  // Only what copilot-autoscaling.yml holds: anything else would render something Copilot
  // does not (a policy left out, a cooldown not applied).
  const unmodelled = ['requests', 'response_time', 'cooldown', 'spot'].filter(
    (field) => field in count,
  );
  if (typeof count.range === 'object' && 'spot_from' in count.range) unmodelled.push('spot_from');
  for (const field of ['cpu_percentage', 'memory_percentage'] as const) {
    if (count[field] !== undefined && typeof count[field] !== 'number') unmodelled.push(field);
  }
  if (unmodelled.length > 0) {
    throw new Error(`count fields not modelled: ${unmodelled.join(', ')}; add them first`);
  }
  const [min, max] =
    typeof count.range === 'string'
      ? count.range.split('-').map(Number)
      : [count.range.min, count.range.max];
  const values: Record<string, unknown> = {
    MinCapacity: min,
    MaxCapacity: max,
    CPU: count.cpu_percentage,
    Memory: count.memory_percentage,
  };
  const parts = parse(
    readText('tooling/deploy-checks/test/copilot/copilot-autoscaling.yml'),
  ) as Record<string, string>;
  const names = ['AutoScalingTarget'];
  if (count.cpu_percentage !== undefined) {
    names.push('AutoScalingPolicyECSServiceAverageCPUUtilization');
  }
  if (count.memory_percentage !== undefined) {
    names.push('AutoScalingPolicyECSServiceAverageMemoryUtilization');
  }
  const text = names
    .map((name) => (parts[name] ?? '').replace(/^/gm, '  ').trimEnd())
    .join('\n')
    .replace(/<<(\w+)>>/g, (_, key: string) => {
      if (values[key] === undefined) throw new Error(`no value for ${key}`);
      return String(values[key]);
    });
  return parseCloudFormationYaml<Template>(`Resources:\n${text}\n`);
}

export interface EnvironmentManifest {
  http?: { public?: { certificates?: unknown[]; access_logs?: unknown } };
  cdn?: unknown;
}

/**
 * The Lambda functions in a service's stack for one environment
 * (templates/workloads/services/lb-web/cf.yml and backend/cf.yml).
 */
export function workloadFunctions(manifest: ServiceManifest, env: string): string[] {
  if (!['Load Balanced Web Service', 'Backend Service'].includes(manifest.type)) {
    throw new Error(`workload type not modelled: ${manifest.type}`);
  }
  const override = manifest.environments?.[env] ?? {};
  const count = 'count' in override ? override.count : manifest.count;
  const http = 'http' in override ? override.http : manifest.http;
  if (manifest.nlb ?? override.nlb) throw new Error('nlb not modelled: add its functions first');
  const functions = ['EnvControllerFunction']; // env-controller: always
  // alb: `{{- if .ALBListener}}`, i.e. `http` is set and not `false`; a Load Balanced Web
  // Service always has one unless http is false, a Backend Service only with http.
  const hasAlb = manifest.type === 'Load Balanced Web Service' ? http !== false : Boolean(http);
  if (hasAlb) functions.push('RulePriorityFunction');
  // autoscaling: `{{- if .Autoscaling}}`, i.e. count is a range, not a fixed number.
  if (typeof count === 'object' && count !== null && 'range' in count) {
    functions.push('DynamicDesiredCountFunction');
  }
  return functions;
}

/** The Lambda functions in an environment's stack (templates/environment/cf.yml). */
export function environmentFunctions(manifest: EnvironmentManifest): string[] {
  const functions: string[] = [];
  // lambdas.yml: inside `{{- if not .PublicHTTPConfig.ImportedCertARNs}}`.
  if (!manifest.http?.public?.certificates?.length) {
    functions.push(
      'CertificateValidationFunction',
      'CustomDomainFunction',
      'DNSDelegationFunction',
    );
  }
  // elb-access-logs.yml: `{{- if .PublicHTTPConfig.ELBAccessLogs.ShouldCreateBucket }}`, i.e.
  // access_logs on without a bucket of one's own.
  const logs = manifest.http?.public?.access_logs;
  if (logs === true || (typeof logs === 'object' && logs !== null && !('bucket_name' in logs))) {
    functions.push('BucketCleanerFunction');
  }
  // cdn-resources.yml: `{{- if .CDNConfig}}`.
  if (manifest.cdn) functions.push('CertificateReplicatorFunction', 'UniqueJSONValuesFunction');
  return functions;
}

/** A stack's Lambda functions as Copilot writes them, parsed as CloudFormation. */
export function render(functions: string[], lambdas: CopilotLambdas): Template {
  const resources = functions.map((name) => {
    const found = lambdas.functions[name];
    if (!found) throw new Error(`${name} is not in copilot-lambdas.yml`);
    return found.template.replace(/^/gm, '  ').trimEnd();
  });
  if (resources.length === 0) return { Resources: {} };
  return parseCloudFormationYaml<Template>(`Resources:\n${resources.join('\n')}\n`);
}

export interface Patch {
  op: string;
  path: string;
  value?: unknown;
}

/**
 * Applies YAML patches as Copilot does (internal/pkg/override/patch.go): add, remove and
 * replace only; a path that is not in the template fails the whole deploy.
 */
export function applyPatches<T>(document: T, patches: Patch[]): T {
  const root = structuredClone(document) as unknown;
  for (const [index, patch] of patches.entries()) {
    const fail = (why: string): never => {
      throw new Error(`unable to apply the "${patch.op}" patch at index ${index}: ${why}`);
    };
    const keys = patch.path
      .split('/')
      .slice(1)
      .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop() ?? fail('an empty path');
    let parent = root;
    for (const key of keys) parent = child(parent, key) ?? fail(`key "${key}" not found`);
    const container = parent as Record<string, unknown> | unknown[];
    if (!['add', 'remove', 'replace'].includes(patch.op)) fail('unsupported operation');
    if (patch.op !== 'remove' && (patch.value === undefined || patch.value === null)) {
      fail('value required');
    }
    if (Array.isArray(container)) {
      const at = last === '-' && patch.op === 'add' ? container.length : Number(last);
      const max = patch.op === 'add' ? container.length : container.length - 1;
      if (!Number.isInteger(at) || at < 0 || at > max) fail(`index ${last} out of bounds`);
      if (patch.op === 'add') container.splice(at, 0, patch.value);
      else if (patch.op === 'remove') container.splice(at, 1);
      else container[at] = patch.value;
    } else if (typeof container === 'object' && container !== null) {
      if (patch.op !== 'add' && !(last in container)) fail(`key "${last}" not found`);
      if (patch.op === 'remove') delete container[last];
      else container[last] = patch.value;
    } else {
      fail(`"${keys.join('/')}" is not a map or a list`);
    }
  }
  return root as T;
}

function child(node: unknown, key: string): unknown {
  if (Array.isArray(node)) return /^\d+$/.test(key) ? node[Number(key)] : undefined;
  if (typeof node === 'object' && node !== null) return (node as Record<string, unknown>)[key];
  return undefined;
}

/** Every Lambda function in a template whose runtime is Node.js below `minimum`. */
export function oldNodeRuntimes(template: Template, minimum: number): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([name, resource]) => `${name}: ${String(resource.Properties.Runtime)}`)
    .filter((entry) => {
      const major = entry.match(/: nodejs(\d+)/)?.[1];
      return major !== undefined && Number(major) < minimum;
    });
}

/**
 * `nodejs<N>` anywhere in a YAML text (a template, an addon, a patch) below `minimum`, outside
 * comments (which may tell the history, as the patches' do).
 */
export function oldNodeRuntimesInText(text: string, minimum: number): string[] {
  const code = text.replace(/(^|\s)#.*$/gm, '$1');
  return [...code.matchAll(/\bnodejs(\d+)(?:\.x)?\b/g)]
    .filter((match) => Number(match[1]) < minimum)
    .map((match) => match[0]);
}
