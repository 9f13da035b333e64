import { readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { ROOT, readText, readYaml } from './repo.ts';
import {
  deploysWithoutCi,
  type Job,
  tasksNotRun,
  turboTasks,
  type Workflow,
} from './workflow-rules.ts';

// CD ships only what CI passed: cd.yml calls ci.yml and every deploy job needs it; ci.yml runs
// every task of `pnpm test` and builds and scans both images; deploy-rollout.yml ships the image
// CI scanned, by digest, and rolls back by itself. Each rule also rejects a mutated copy.
const cdText = readText('.github/workflows/cd.yml');
const ciText = readText('.github/workflows/ci.yml');
const rolloutText = readText('.github/workflows/deploy-rollout.yml');
const cd = parse(cdText) as Workflow;
const ci = parse(ciText) as Workflow;
const rollout = parse(rolloutText) as Workflow;
const copy = <T>(value: T): T => structuredClone(value);

/** What `pnpm test` runs: the tasks of the root package's test script. */
const testTasks = turboTasks(
  (readYaml<{ scripts: { test: string } }>('package.json') as { scripts: { test: string } }).scripts
    .test,
);

describe('cd.yml deploys only after ci.yml passed', () => {
  it('when cd.yml runs, then it calls ci.yml and every deploy job needs it', () => {
    expect(cd.jobs.ci?.uses).toBe('./.github/workflows/ci.yml');
    const deployJobs = Object.keys(cd.jobs).filter((id) => /deploy-/.test(cd.jobs[id]?.uses ?? ''));
    expect(deployJobs.sort()).toEqual([
      'prod-copilot',
      'prod-ecs-rollout',
      'test-copilot',
      'test-ecs-rollout',
    ]);
    expect(deploysWithoutCi(cd)).toEqual([]);
  });

  it('when a deployer is chosen, then copilot and ecs-rollout each have their own workflow', () => {
    expect(cd.jobs['test-copilot']?.uses).toBe('./.github/workflows/deploy-service.yml');
    expect(cd.jobs['test-ecs-rollout']?.uses).toBe('./.github/workflows/deploy-rollout.yml');
    expect(cd.jobs['test-copilot']?.if).toContain("deployer == 'copilot'");
    expect(cd.jobs['test-ecs-rollout']?.if).toContain("deployer == 'ecs-rollout'");
  });

  describe('controls: mutated copies of cd.yml must be rejected', () => {
    it('when a test deploy does not need ci, then the check names it', () => {
      const mutated = copy(cd);
      (mutated.jobs['test-copilot'] as Job).needs = ['plan'];
      expect(deploysWithoutCi(mutated)).toEqual(['test-copilot']);
    });

    it('when a prod deploy runs on !cancelled() without asking for ci success, then the check names it', () => {
      const mutated = copy(cd);
      const job = mutated.jobs['prod-ecs-rollout'] as Job;
      job.if = (job.if ?? '').replace("needs.ci.result == 'success' &&", '');
      expect(deploysWithoutCi(mutated)).toEqual(['prod-ecs-rollout']);
    });

    it('when cd.yml no longer calls ci.yml, then every deploy job is named', () => {
      const mutated = copy(cd);
      delete mutated.jobs.ci;
      expect(deploysWithoutCi(mutated)).toHaveLength(4);
    });
  });
});

describe('ci.yml runs what `pnpm test` runs', () => {
  it('when the tasks of pnpm test are listed, then ci.yml runs every one', () => {
    expect(testTasks).toEqual(
      expect.arrayContaining(['lint', 'typecheck', 'test', 'test:secure', 'reliability']),
    );
    expect(tasksNotRun(ci, testTasks)).toEqual([]);
  });

  it('when no step runs reliability (control), then the check names it', () => {
    const mutated = parse(
      ciText.replaceAll(/(test:secure(?: test:redis-cluster)?) reliability/g, '$1'),
    ) as Workflow;
    expect(tasksNotRun(mutated, testTasks)).toEqual(['reliability']);
  });
});

describe('ci.yml builds and scans both images', () => {
  const services = readdirSync(`${ROOT}/services`).sort();
  const image = ci.jobs.image as Job & { env?: Record<string, string> };
  const steps = image.steps ?? [];

  it('when CI runs, then every service Dockerfile is built from the repository root', () => {
    expect([...((image.strategy?.matrix?.service ?? []) as string[])].sort()).toEqual(services);
    const build = steps.find((step) => step.run?.includes('docker build'))?.run ?? '';
    expect(build).toContain('--file "services/$SERVICE/Dockerfile"');
    expect(build).toMatch(/ \.\n/);
  });

  it('when the image is built, then Trivy (pinned) fails the job on HIGH or CRITICAL and the scanned image is kept', () => {
    const scan = steps.find((step) => step.uses?.startsWith('aquasecurity/trivy-action@'));
    expect(scan?.uses).toMatch(/@[0-9a-f]{40}$/);
    expect(scan?.with).toMatchObject({ 'exit-code': '1', severity: 'HIGH,CRITICAL' });
    const keep = steps.findIndex((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(keep).toBeGreaterThan(steps.indexOf(scan as never));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
    expect(steps[keep]?.with?.name).toBe('image-${{ matrix.service }}');
  });
});

/** What must hold of deploy-rollout.yml: the scanned image, by digest, waited for, rolled back. */
function rolloutProblems(workflow: Workflow): string[] {
  const steps = Object.values(workflow.jobs)[0]?.steps ?? [];
  const index = (test: (step: (typeof steps)[number]) => boolean) => steps.findIndex(test);
  const problems: string[] = [];
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
  const fetch = index((step) => step.with?.name === 'image-${{ inputs.service }}');
  const push = index((step) => /docker push/.test(step.run ?? ''));
  const record = index(
    (step) => /main\.js status/.test(step.run ?? '') && /revision=/.test(step.run ?? ''),
  );
  const deploy = index((step) => /main\.js deploy .*--image "\$IMAGE"/s.test(step.run ?? ''));
  const wait = index((step) => /main\.js wait .*--image-tag "\$DIGEST"/s.test(step.run ?? ''));
  const back = steps.find((step) => /--rollback --to-revision "\$REVISION"/.test(step.run ?? ''));
  if (fetch < 0) problems.push('does not deploy the image CI built');
  if (!(push > fetch && record > push && deploy > record && wait > deploy)) {
    problems.push('not fetch → push → record → deploy → wait');
  }
  if (!/@sha256:\[0-9a-f\]\{64\}/.test(steps[push]?.run ?? '')) problems.push('no digest');
  const condition = (back as { if?: string } | undefined)?.if ?? '';
  if (!back || !condition.includes('failure()')) problems.push('no automatic rollback');
  if (JSON.stringify(workflow.permissions) !== '{"contents":"read","id-token":"write"}') {
    problems.push('permissions');
  }
  return problems;
}

describe('deploy-rollout.yml', () => {
  it('when it deploys, then it pushes the scanned image, deploys its digest, waits and rolls back on failure', () => {
    expect(rolloutProblems(rollout)).toEqual([]);
    expect(rolloutText).toMatch(/aws-actions\/configure-aws-credentials@[0-9a-f]{40}/);
    expect(rolloutText).not.toMatch(/aws-access-key-id|aws-secret-access-key|copilot svc/);
  });

  it('when the rollback step is gone (control), then the check rejects it', () => {
    const mutated = copy(rollout);
    const job = Object.values(mutated.jobs)[0] as Job;
    job.steps = (job.steps ?? []).filter((step) => !/--rollback/.test(step.run ?? ''));
    expect(rolloutProblems(mutated)).toEqual(['no automatic rollback']);
  });

  it('when it deploys by tag instead of digest (control), then the check rejects it', () => {
    const mutated = parse(
      rolloutText.replace(/--image "\$IMAGE"/, '--image "$REPOSITORY:$GITHUB_SHA"'),
    ) as Workflow;
    expect(rolloutProblems(mutated)).toEqual(['not fetch → push → record → deploy → wait']);
  });
});

describe('deploy-service.yml gives Copilot what the manifests interpolate', () => {
  // Copilot substitutes ${NAME} in a manifest from the deploying shell and refuses to deploy
  // when one is unset; its own (COPILOT_*) it sets itself.
  const interpolated = [
    ...new Set(
      ['producer', 'consumer'].flatMap((service) =>
        [...readText(`copilot/${service}/manifest.yml`).matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)]
          .map((match) => match[1] as string)
          .filter((name) => !name.startsWith('COPILOT_')),
      ),
    ),
  ].sort();
  type DeployStep = { name?: string; run?: string; env?: Record<string, string> };
  const missing = (workflow: { jobs: Record<string, { steps?: DeployStep[] }> }) => {
    const step = Object.values(workflow.jobs)
      .flatMap((job) => job.steps ?? [])
      .find((candidate) => candidate.run?.includes('copilot svc deploy'));
    return interpolated.filter((name) => step?.env?.[name] === undefined);
  };
  const deployService = parse(readText('.github/workflows/deploy-service.yml'));

  it('when the Copilot deploy step runs, then every variable a service manifest interpolates is in its environment', () => {
    expect(interpolated).toContain('PUBLIC_DOMAIN');
    expect(missing(deployService)).toEqual([]);
  });

  it('control: when the step lacks one, then the check names it', () => {
    const mutated = structuredClone(deployService) as {
      jobs: Record<string, { steps?: DeployStep[] }>;
    };
    for (const job of Object.values(mutated.jobs)) {
      for (const step of job.steps ?? []) delete step.env?.PUBLIC_DOMAIN;
    }
    expect(missing(mutated)).toEqual(['PUBLIC_DOMAIN']);
  });
});
