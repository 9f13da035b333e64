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

export interface Job {
  needs?: string | string[];
  if?: string;
  uses?: string;
  'runs-on'?: string;
  steps?: { run?: string; uses?: string; with?: Record<string, unknown> }[];
  strategy?: { matrix?: Record<string, unknown> };
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
    tasks.push(...args.split(/\s+/).filter((word) => word && !word.startsWith('-')));
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
