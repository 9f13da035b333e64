// The pipeline's rules as functions of a workflow's text or parsed YAML, so that each check runs
// on the real workflows and on mutated copies that it must reject (the must-fail controls).

/** `uses:` lines that are neither local nor pinned to a full commit SHA with a `# vX…` comment. */
export function unpinnedActions(workflowText: string): string[] {
  const bad: string[] = [];
  for (const [line, target = '', rest = ''] of workflowText.matchAll(
    /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm,
  )) {
    if (target.startsWith('./')) continue;
    const pinned = target.startsWith('docker://')
      ? /@sha256:[0-9a-f]{64}$/.test(target)
      : /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(target);
    const commented = /^\s+#\s*v\d+(\.\d+)*\b/.test(rest);
    if (!pinned || !commented) bad.push(line.trim());
  }
  return bad;
}

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Job {
  needs?: string | string[];
  if?: string;
  uses?: string;
  'runs-on'?: string;
  'timeout-minutes'?: number;
  steps?: Step[];
  strategy?: { matrix?: Record<string, unknown>; 'fail-fast'?: boolean; 'max-parallel'?: number };
}

export interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const needsOf = (job: Job | undefined): string[] =>
  job?.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];

/**
 * Jobs of cd.yml that deploy (call a deploy-*.yml workflow) without CI having passed: the job
 * calling ci.yml is not among what they need, directly or through other jobs, or their `if:`
 * overrides the implicit success() (`always()`, `!cancelled()`, `failure()`) without requiring
 * `needs.<ci>.result == 'success'` itself.
 */
export function deploysWithoutCi(cd: Workflow): string[] {
  const ci = Object.entries(cd.jobs).find(([, job]) => job.uses === './.github/workflows/ci.yml');
  if (!ci) return Object.keys(cd.jobs).filter((id) => /deploy-/.test(cd.jobs[id]?.uses ?? ''));
  const [ciId] = ci;
  const reaches = (id: string, seen = new Set<string>()): boolean => {
    if (seen.has(id)) return false;
    seen.add(id);
    return needsOf(cd.jobs[id]).some((need) => need === ciId || reaches(need, seen));
  };
  return Object.entries(cd.jobs)
    .filter(([, job]) => /^\.\/\.github\/workflows\/deploy-[\w-]+\.yml$/.test(job.uses ?? ''))
    .filter(([id, job]) => {
      if (!needsOf(job).includes(ciId) || !reaches(id)) return true;
      const condition = job.if ?? '';
      const overridesSuccess = /\b(always|cancelled|failure)\(\)/.test(condition);
      return overridesSuccess && !condition.includes(`needs.${ciId}.result == 'success'`);
    })
    .map(([id]) => id);
}

/** The turbo tasks of `turbo run a b c …` in a command line (flags left out). */
export function turboTasks(command: string): string[] {
  const tasks: string[] = [];
  for (const [, args = ''] of command.matchAll(/turbo run ([^\n&|;]+)/g)) {
    // Flags and shell words ("$@") are not tasks.
    tasks.push(...args.split(/\s+/).filter((word) => /^[\w@][\w@:/#.-]*$/.test(word)));
  }
  return tasks;
}

/** The tasks of `wanted` that no `turbo run` step of the workflow runs. */
export function tasksNotRun(workflow: Workflow, wanted: string[]): string[] {
  const run = new Set(
    Object.values(workflow.jobs).flatMap((job) =>
      (job.steps ?? []).flatMap((step) => turboTasks(step.run ?? '')),
    ),
  );
  return wanted.filter((task) => !run.has(task));
}

/** Jobs `id` needs, directly or through other jobs. */
export function ancestors(workflow: Workflow, id: string, seen = new Set<string>()): Set<string> {
  for (const need of needsOf(workflow.jobs[id])) {
    if (seen.has(need)) continue;
    seen.add(need);
    ancestors(workflow, need, seen);
  }
  return seen;
}

/**
 * What cd.yml's order must be, as "<job> does not come after <job>": CI → the test environment
 * → the services to test (either deployer) → the prod environment → the services to prod.
 */
export function deployOrderProblems(cd: Workflow): string[] {
  const after: [string, string[]][] = [
    ['test-environment', ['ci', 'plan']],
    ['test-copilot', ['ci', 'plan', 'test-environment']],
    ['test-ecs-rollout', ['ci', 'plan', 'test-environment']],
    ['prod-environment', ['ci', 'plan', 'test-environment', 'test-copilot', 'test-ecs-rollout']],
    ['prod-copilot', ['ci', 'plan', 'test-copilot', 'prod-environment']],
    ['prod-ecs-rollout', ['ci', 'plan', 'test-ecs-rollout', 'prod-environment']],
  ];
  return after.flatMap(([job, before]) => {
    if (!cd.jobs[job]) return [`${job} is missing`];
    const needed = ancestors(cd, job);
    return before.filter((id) => !needed.has(id)).map((id) => `${job} does not come after ${id}`);
  });
}

// A small evaluator of the GitHub expressions cd.yml's `if:`s use (`!`, `&&`, `||`, `==`, `!=`,
// parentheses, string literals, needs.<job>.result and .outputs.<name>, and the status
// functions), to run its job graph on scenarios. Anything else throws, so a check never passes
// on an expression it did not understand.
type Value = string | boolean;
export type JobResult = 'success' | 'failure' | 'skipped';
interface NeedsContext {
  [job: string]: { result: JobResult; outputs: Record<string, string> };
}

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*(?:(&&|\|\||==|!=|!|\(|\))|('(?:[^']|'')*')|([A-Za-z_][\w.-]*))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(expression);
    if (!match) throw new Error(`cannot read the expression at "${expression.slice(at)}"`);
    tokens.push((match[1] ?? match[2] ?? match[3]) as string);
    at = pattern.lastIndex;
  }
  return tokens;
}

const truthy = (value: Value) => (typeof value === 'boolean' ? value : value !== '');
const equal = (a: Value, b: Value) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

/** Evaluates `expression` for a job whose direct `needs` are `needs`. */
export function evaluate(expression: string, needs: NeedsContext): boolean {
  const tokens = tokenize(expression.replace(/^\s*\$\{\{([\s\S]*)\}\}\s*$/, '$1'));
  let next = 0;
  const peek = () => tokens[next];
  const take = (expected?: string) => {
    const token = tokens[next++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new Error(`expected ${expected ?? 'more'} in "${expression}"`);
    }
    return token;
  };
  const results = Object.values(needs).map((need) => need.result);
  const functions: Record<string, () => boolean> = {
    success: () => results.every((result) => result === 'success'),
    failure: () => results.some((result) => result === 'failure'),
    always: () => true,
    cancelled: () => false,
  };
  const primary = (): Value => {
    const token = take();
    if (token === '(') {
      const value = or();
      take(')');
      return value;
    }
    if (token.startsWith("'")) return token.slice(1, -1).replaceAll("''", "'");
    if (token === 'true' || token === 'false') return token === 'true';
    if (peek() === '(') {
      take('(');
      take(')');
      const call = functions[token];
      if (!call) throw new Error(`unknown function ${token}()`);
      return call();
    }
    const [context, job = '', field, name, ...rest] = token.split('.');
    const need = needs[job];
    if (context !== 'needs' || !need || rest.length > 0) {
      throw new Error(`unknown or not needed: ${token}`);
    }
    if (field === 'result' && name === undefined) return need.result;
    if (field === 'outputs' && name !== undefined) return need.outputs[name] ?? '';
    throw new Error(`unknown field: ${token}`);
  };
  // GitHub's precedence: ! binds tighter than == and !=, which bind tighter than && and ||.
  const unary = (): Value => {
    if (peek() === '!') {
      take('!');
      return !truthy(unary());
    }
    return primary();
  };
  const comparison = (): Value => {
    const left = unary();
    if (peek() === '==' || peek() === '!=') {
      const operator = take();
      const right = unary();
      return operator === '==' ? equal(left, right) : !equal(left, right);
    }
    return left;
  };
  const and = (): Value => {
    let value = comparison();
    while (peek() === '&&') {
      take('&&');
      const right = comparison();
      value = truthy(value) && truthy(right);
    }
    return value;
  };
  const or = (): Value => {
    let value = and();
    while (peek() === '||') {
      take('||');
      const right = and();
      value = truthy(value) || truthy(right);
    }
    return value;
  };
  const value = or();
  if (next !== tokens.length) throw new Error(`unexpected "${tokens[next]}" in "${expression}"`);
  return truthy(value);
}

export interface Scenario {
  /** Jobs whose result is given (e.g. ci and plan) rather than worked out. */
  given: Record<string, { result: JobResult; outputs?: Record<string, string> }>;
  /** Jobs that fail when they run. */
  failing?: string[];
}

/**
 * Runs a workflow's job graph as GitHub does: a job runs when its `if:` holds (with an implicit
 * `success() &&` unless it calls a status function); it then succeeds unless it is among the
 * scenario's failing jobs. Returns every job's result.
 */
export function runJobs(workflow: Workflow, scenario: Scenario): Record<string, JobResult> {
  const done: Record<string, { result: JobResult; outputs: Record<string, string> }> = {};
  for (const [id, given] of Object.entries(scenario.given)) {
    done[id] = { result: given.result, outputs: given.outputs ?? {} };
  }
  const pending = Object.keys(workflow.jobs).filter((id) => !done[id]);
  while (pending.length > 0) {
    const ready = pending.findIndex((id) => needsOf(workflow.jobs[id]).every((need) => done[need]));
    if (ready < 0) throw new Error(`a cycle or an unknown job among ${pending.join(', ')}`);
    const [id] = pending.splice(ready, 1) as [string];
    const needs = Object.fromEntries(needsOf(workflow.jobs[id]).map((need) => [need, done[need]]));
    const condition = workflow.jobs[id]?.if ?? 'success()';
    const withStatus = /\b(success|failure|always|cancelled)\(\)/.test(condition)
      ? condition
      : `success() && (${condition})`;
    const runs = evaluate(withStatus, needs as NeedsContext);
    const result = !runs ? 'skipped' : scenario.failing?.includes(id) ? 'failure' : 'success';
    done[id] = { result, outputs: {} };
  }
  return Object.fromEntries(Object.entries(done).map(([id, job]) => [id, job.result]));
}

/** The jobs of a workflow that run a `copilot` command without installing it first. */
export function copilotWithoutInstall(workflow: Workflow): string[] {
  return Object.entries(workflow.jobs)
    .filter(([, job]) => {
      const steps = job.steps ?? [];
      const uses = steps.findIndex((step) => step.uses === './.github/actions/install-copilot');
      const runs = steps.findIndex((step) => /^\s*copilot /m.test(step.run ?? ''));
      return runs >= 0 && !(uses >= 0 && uses < runs);
    })
    .map(([id]) => id);
}

/** The action that turns the workflow's OIDC token into AWS credentials. */
const CREDENTIALS_ACTION = 'aws-actions/configure-aws-credentials@';
/** The action's session length when `role-duration-seconds` is not given (OIDC). */
const DEFAULT_SESSION_SECONDS = 3_600;

/**
 * Jobs that assume an AWS role for less time than they may run: credentials that expire
 * mid-deploy fail the job while CloudFormation or ECS goes on. A job without
 * `timeout-minutes` may run GitHub's 6 hours.
 */
export function credentialsOutlivedBy(workflow: Workflow): string[] {
  return Object.entries(workflow.jobs).flatMap(([id, job]) => {
    const jobSeconds = (job['timeout-minutes'] ?? 360) * 60;
    return (job.steps ?? [])
      .filter((step) => step.uses?.startsWith(CREDENTIALS_ACTION))
      .filter((step) => {
        const asked = Number(step.with?.['role-duration-seconds'] ?? DEFAULT_SESSION_SECONDS);
        return asked < jobSeconds;
      })
      .map(() => id);
  });
}
