import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { ROOT, readText, readYaml } from './repo.ts';
import {
  credentialsOutlivedBy,
  deployOrderProblems,
  deploysWithoutCi,
  evaluate,
  type Job,
  type JobResult,
  runJobs,
  type Step,
  tasksNotRun,
  turboTasks,
  type Workflow,
} from './workflow-rules.ts';

// CD ships only what CI passed: cd.yml calls ci.yml and every deploy job needs it; ci.yml runs
// every task of `pnpm test` and builds and scans both images; both deploy paths ship the image
// CI scanned, by digest (one shared action pushes it); deploy-rollout.yml rolls back by itself;
// the environments are deployed before their services when they changed, and not holding them
// up when they did not. Each rule also rejects a mutated copy.
const cdText = readText('.github/workflows/cd.yml');
const ciText = readText('.github/workflows/ci.yml');
const rolloutText = readText('.github/workflows/deploy-rollout.yml');
const serviceText = readText('.github/workflows/deploy-service.yml');
const cd = parse(cdText) as Workflow;
const ci = parse(ciText) as Workflow;
const rollout = parse(rolloutText) as Workflow;
const deployService = parse(serviceText) as Workflow;
const copy = <T>(value: T): T => structuredClone(value);
const PUSH_ACTION = './.github/actions/push-scanned-image';
const pushAction = readYaml<{
  inputs: Record<string, unknown>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}>('.github/actions/push-scanned-image/action.yml');

/** What `pnpm test` runs: the root package's test script, and the tasks of its turbo runs. */
const rootTestScript = (
  readYaml<{ scripts: { test: string } }>('package.json') as { scripts: { test: string } }
).scripts.test;
const testTasks = turboTasks(readText('scripts/test.sh'));

describe('cd.yml deploys only after ci.yml passed', () => {
  it('when cd.yml runs, then it calls ci.yml and every deploy job needs it', () => {
    expect(cd.jobs.ci?.uses).toBe('./.github/workflows/ci.yml');
    const deployJobs = Object.keys(cd.jobs).filter((id) => /deploy-/.test(cd.jobs[id]?.uses ?? ''));
    expect(deployJobs.sort()).toEqual([
      'prod-copilot',
      'prod-ecs-rollout',
      'prod-environment',
      'test-copilot',
      'test-ecs-rollout',
      'test-environment',
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
      expect(deploysWithoutCi(mutated)).toHaveLength(6);
    });
  });
});

describe('ci.yml runs what `pnpm test` runs', () => {
  it('when the tasks of pnpm test are listed, then ci.yml runs every one', () => {
    expect(rootTestScript).toBe('bash scripts/test.sh');
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

/** What must hold of the shared push action: CI's scanned artifact, pushed, read back by digest. */
function pushActionProblems(action: typeof pushAction): string[] {
  const steps = action.runs.steps;
  const problems: string[] = [];
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
  const fetch = steps.findIndex((step) => step.with?.name === 'image-${{ inputs.service }}');
  const push = steps.findIndex((step) => /docker push/.test(step.run ?? ''));
  if (fetch < 0 || !steps[fetch]?.uses?.startsWith('actions/download-artifact@')) {
    problems.push('does not push the image CI built');
  }
  if (!(push > fetch)) problems.push('not fetch → push');
  if (steps.some((step) => /docker build/.test(step.run ?? ''))) problems.push('builds an image');
  if (!/@sha256:\[0-9a-f\]\{64\}/.test(steps[push]?.run ?? '')) problems.push('no digest');
  const pushId = steps[push]?.id ?? '';
  for (const output of ['image', 'digest']) {
    if (action.outputs[output]?.value !== `\${{ steps.${pushId}.outputs.${output} }}`) {
      problems.push(`no ${output} output`);
    }
  }
  return problems;
}

const stepsOf = (workflow: Workflow): Step[] => Object.values(workflow.jobs)[0]?.steps ?? [];

describe('the scanned image is pushed by one shared action', () => {
  it('when the action runs, then it fetches the scanned artifact, pushes it and returns its digest', () => {
    expect(pushAction.runs.using).toBe('composite');
    expect(Object.keys(pushAction.inputs).sort()).toEqual(['app', 'service']);
    expect(pushActionProblems(pushAction)).toEqual([]);
  });

  it.each([
    ['deploy-service.yml', deployService],
    ['deploy-rollout.yml', rollout],
  ])('when %s deploys, then it pushes with that action and never by itself', (_, workflow) => {
    const steps = stepsOf(workflow);
    const push = steps.find((step) => step.uses === PUSH_ACTION);
    expect(push?.id).toBe('push');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
    expect(push?.with?.service).toBe('${{ inputs.service }}');
    const credentials = steps.findIndex((step) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    );
    expect(credentials).toBeGreaterThanOrEqual(0);
    expect(steps.indexOf(push as Step)).toBeGreaterThan(credentials);
    const own = steps.filter((step) =>
      /docker (push|build|load)|download-artifact/.test(`${step.run ?? ''} ${step.uses ?? ''}`),
    );
    expect(own).toEqual([]);
  });

  describe('controls: mutated copies of the action must be rejected', () => {
    it('when it pushes something else than the artifact, then the check says so', () => {
      const mutated = copy(pushAction);
      mutated.runs.steps = mutated.runs.steps.filter((step) => !step.uses);
      expect(pushActionProblems(mutated)).toEqual(['does not push the image CI built']);
    });

    it('when it does not read the digest back, then the check says so', () => {
      const mutated = copy(pushAction);
      for (const step of mutated.runs.steps) {
        if (step.run) step.run = step.run.replace('{64}', '+');
      }
      expect(pushActionProblems(mutated)).toEqual(['no digest']);
    });
  });
});

/** What must hold of deploy-rollout.yml: the scanned image, by digest, waited for, rolled back. */
function rolloutProblems(workflow: Workflow): string[] {
  const steps = stepsOf(workflow);
  const index = (test: (step: Step) => boolean) => steps.findIndex(test);
  const problems: string[] = [];
  const push = index((step) => step.uses === PUSH_ACTION && step.id === 'push');
  const record = index(
    (step) => /main\.js status/.test(step.run ?? '') && /revision=/.test(step.run ?? ''),
  );
  const deploy = index(
    (step) =>
      /main\.js deploy .*--image "\$IMAGE"/s.test(step.run ?? '') &&
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
      step.env?.IMAGE === '${{ steps.push.outputs.image }}',
  );
  const wait = index(
    (step) =>
      /main\.js wait .*--image-tag "\$DIGEST"/s.test(step.run ?? '') &&
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
      step.env?.DIGEST === '${{ steps.push.outputs.digest }}',
  );
  const back = steps.find((step) => /--rollback --to-revision "\$REVISION"/.test(step.run ?? ''));
  if (push < 0) problems.push('does not deploy the image CI built');
  if (!(push >= 0 && record > push && deploy > record && wait > deploy)) {
    problems.push('not push → record → deploy → wait');
  }
  if (!back || !(back.if ?? '').includes('failure()')) problems.push('no automatic rollback');
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
    expect(rolloutProblems(mutated)).toEqual(['not push → record → deploy → wait']);
  });
});

/**
 * What must hold of deploy-service.yml: Copilot deploys the pushed digest (this run's manifest
 * points at it), builds nothing, and the rollout is confirmed on that digest.
 */
function copilotDeployProblems(workflow: Workflow): string[] {
  const steps = stepsOf(workflow);
  const index = (test: (step: Step) => boolean) => steps.findIndex(test);
  const problems: string[] = [];
  const push = index((step) => step.uses === PUSH_ACTION && step.id === 'push');
  const point = index(
    (step) =>
      /node \.github\/scripts\/copilot-image-location\.mjs "copilot\/\$SERVICE\/manifest\.yml" "\$IMAGE"/.test(
        step.run ?? '',
      ) &&
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
      step.env?.IMAGE === '${{ steps.push.outputs.image }}',
  );
  const deploy = index((step) => /copilot svc deploy/.test(step.run ?? ''));
  const wait = index(
    (step) =>
      /main\.js wait .*--image-tag "\$DIGEST"/s.test(step.run ?? '') &&
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
      step.env?.DIGEST === '${{ steps.push.outputs.digest }}',
  );
  if (push < 0) problems.push('does not deploy the image CI built');
  if (!(push >= 0 && point > push && deploy > point && wait > deploy)) {
    problems.push('not push → point the manifest → copilot svc deploy → wait on the digest');
  }
  if (/--tag\b/.test(steps[deploy]?.run ?? '')) problems.push('deploys by tag');
  if (steps.some((step) => /docker build/.test(step.run ?? ''))) problems.push('builds an image');
  if (JSON.stringify(workflow.permissions) !== '{"contents":"read","id-token":"write"}') {
    problems.push('permissions');
  }
  return problems;
}

describe('deploy-service.yml ships the scanned image through Copilot', () => {
  it('when it deploys, then Copilot deploys the pushed digest and the rollout is confirmed on it', () => {
    expect(copilotDeployProblems(deployService)).toEqual([]);
  });

  it('when Copilot builds and tags again (control: the old path), then the check rejects it', () => {
    const mutated = copy(deployService);
    const job = Object.values(mutated.jobs)[0] as Job;
    job.steps = (job.steps ?? [])
      .filter((step) => !/copilot-image-location/.test(step.run ?? ''))
      .map((step) => ({
        ...step,
        run: step.run
          ?.replace(
            'copilot svc deploy --app "$COPILOT_APP" --name "$SERVICE" --env "$ENVIRONMENT"',
            '$& --tag "$GITHUB_SHA"',
          )
          .replace('--image-tag "$DIGEST"', '--image-tag "$GITHUB_SHA"'),
      }));
    expect(copilotDeployProblems(mutated)).toEqual([
      'not push → point the manifest → copilot svc deploy → wait on the digest',
      'deploys by tag',
    ]);
  });

  it('when the manifest is pointed at the image after the deploy (control), then the check rejects it', () => {
    const mutated = copy(deployService);
    const job = Object.values(mutated.jobs)[0] as Job;
    const steps = job.steps ?? [];
    const point = steps.findIndex((step) => /copilot-image-location/.test(step.run ?? ''));
    const [moved] = steps.splice(point, 1) as [Step];
    steps.splice(steps.length - 1, 0, moved);
    expect(copilotDeployProblems(mutated)).toEqual([
      'not push → point the manifest → copilot svc deploy → wait on the digest',
    ]);
  });
});

// Copilot substitutes ${NAME} in a manifest from the deploying shell and refuses to deploy when
// one is unset; its own (COPILOT_*) it sets itself. Each Copilot deploy step must have them all.
describe.each([
  {
    workflow: 'deploy-service.yml',
    command: 'copilot svc deploy',
    manifests: ['copilot/producer/manifest.yml', 'copilot/consumer/manifest.yml'],
    variable: 'PUBLIC_DOMAIN',
  },
  {
    workflow: 'deploy-environment.yml',
    command: 'copilot env deploy',
    manifests: ['copilot/environments/test/manifest.yml', 'copilot/environments/prod/manifest.yml'],
    variable: 'PUBLIC_CERTIFICATE_ARN',
  },
])(
  '$workflow gives Copilot what its manifests interpolate',
  ({ workflow, command, manifests, variable }) => {
    const interpolated = [
      ...new Set(
        manifests.flatMap((path) =>
          [...readText(path).matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)]
            .map((match) => match[1] as string)
            .filter((name) => !name.startsWith('COPILOT_')),
        ),
      ),
    ].sort();
    const missing = (parsed: Workflow) => {
      const step = Object.values(parsed.jobs)
        .flatMap((job) => job.steps ?? [])
        .find((candidate) => candidate.run?.includes(command));
      return interpolated.filter((name) => step?.env?.[name] === undefined);
    };
    const deploy = parse(readText(`.github/workflows/${workflow}`)) as Workflow;

    it(`when the ${command} step runs, then every variable the manifests interpolate is in its environment`, () => {
      expect(interpolated).toContain(variable);
      expect(missing(deploy)).toEqual([]);
    });

    it('control: when the step lacks one, then the check names it', () => {
      const mutated = copy(deploy);
      for (const job of Object.values(mutated.jobs)) {
        for (const step of job.steps ?? []) delete step.env?.[variable];
      }
      expect(missing(mutated)).toEqual([variable]);
    });
  },
);

// The order of cd.yml's deploys, and what runs in each case: its job graph run on scenarios
// with GitHub's rules (an `if:` without a status function has an implicit success(), so a
// skipped job would hold up everything after it; the prod and after-environment jobs use
// !cancelled() and check the results themselves).
type PlanOutputs = Record<
  'services' | 'deployer' | 'to-test' | 'to-prod' | 'environments-changed',
  string
>;
interface CdScenario {
  name: string;
  plan?: Partial<PlanOutputs>;
  ci?: JobResult;
  failing?: string[];
  ran: string[];
}
const CD_SCENARIOS: CdScenario[] = [
  { name: 'a service changed, no environment (copilot)', ran: ['test-copilot', 'prod-copilot'] },
  {
    name: 'a service changed, no environment (ecs-rollout)',
    plan: { deployer: 'ecs-rollout' },
    ran: ['test-ecs-rollout', 'prod-ecs-rollout'],
  },
  {
    name: 'a service and the environments changed (copilot)',
    plan: { 'environments-changed': 'true' },
    ran: ['test-environment', 'test-copilot', 'prod-environment', 'prod-copilot'],
  },
  {
    name: 'a service and the environments changed (ecs-rollout)',
    plan: { 'environments-changed': 'true', deployer: 'ecs-rollout' },
    ran: ['test-environment', 'test-ecs-rollout', 'prod-environment', 'prod-ecs-rollout'],
  },
  {
    name: 'only the environments changed',
    plan: { 'environments-changed': 'true', services: '[]' },
    ran: ['test-environment', 'prod-environment'],
  },
  { name: 'nothing changed', plan: { services: '[]' }, ran: [] },
  {
    name: 'the test environment fails',
    plan: { 'environments-changed': 'true' },
    failing: ['test-environment'],
    ran: ['test-environment'],
  },
  {
    name: 'the services fail in test (copilot)',
    plan: { 'environments-changed': 'true' },
    failing: ['test-copilot'],
    ran: ['test-environment', 'test-copilot'],
  },
  {
    name: 'the services fail in test (ecs-rollout)',
    plan: { 'environments-changed': 'true', deployer: 'ecs-rollout' },
    failing: ['test-ecs-rollout'],
    ran: ['test-environment', 'test-ecs-rollout'],
  },
  {
    name: 'the prod environment fails',
    plan: { 'environments-changed': 'true' },
    failing: ['prod-environment'],
    ran: ['test-environment', 'test-copilot', 'prod-environment'],
  },
  {
    name: 'CI fails',
    ci: 'failure',
    plan: { 'environments-changed': 'true' },
    ran: [],
  },
  {
    name: 'by hand, one service to prod',
    plan: { 'to-test': 'false' },
    ran: ['prod-copilot'],
  },
  {
    name: 'by hand, one service to test (ecs-rollout)',
    plan: { 'to-prod': 'false', deployer: 'ecs-rollout' },
    ran: ['test-ecs-rollout'],
  },
];

/** The deploy jobs `workflow` runs (succeeding or failing) in `scenario`, sorted. */
function ranIn(workflow: Workflow, scenario: CdScenario): string[] {
  const outputs: PlanOutputs = {
    services: '["producer","consumer"]',
    deployer: 'copilot',
    'to-test': 'true',
    'to-prod': 'true',
    'environments-changed': 'false',
    ...scenario.plan,
  };
  const results = runJobs(workflow, {
    given: { ci: { result: scenario.ci ?? 'success' }, plan: { result: 'success', outputs } },
    failing: scenario.failing,
  });
  return Object.keys(results)
    .filter((id) => id !== 'ci' && id !== 'plan' && results[id] !== 'skipped')
    .sort();
}

/** The scenarios in which `workflow` runs other jobs than it must (by name). */
function cdScenarioFailures(workflow: Workflow): string[] {
  return CD_SCENARIOS.filter(
    (scenario) =>
      JSON.stringify(ranIn(workflow, scenario)) !== JSON.stringify([...scenario.ran].sort()),
  ).map((scenario) => scenario.name);
}

describe('cd.yml deploys the environments before their services', () => {
  it('when cd.yml runs, then CI → test environment → services to test → prod environment → services to prod', () => {
    expect(deployOrderProblems(cd)).toEqual([]);
    expect(cd.jobs['test-environment']?.uses).toBe('./.github/workflows/deploy-environment.yml');
    expect(cd.jobs['prod-environment']?.uses).toBe('./.github/workflows/deploy-environment.yml');
  });

  it('when an if: uses what the scenarios do not model, then running the graph fails rather than guess', () => {
    const need = { ci: { result: 'success' as const, outputs: {} } };
    expect(evaluate("!cancelled() && needs.ci.result == 'success'", need)).toBe(true);
    // ! binds tighter than ==, as in GitHub: (!'success') == false.
    expect(evaluate('!needs.ci.result == false', need)).toBe(true);
    expect(() => evaluate("contains(needs.ci.outputs.x, 'a')", need)).toThrow(/cannot read/);
    expect(() => evaluate('hashFiles()', need)).toThrow(/unknown function/);
    expect(() => evaluate("needs.plan.result == 'success'", need)).toThrow(/not needed/);
    expect(() => evaluate('github.event_name', need)).toThrow(/not needed/);
  });

  it.each(CD_SCENARIOS)('when $name, then exactly $ran run', (scenario) => {
    expect(ranIn(cd, scenario)).toEqual([...scenario.ran].sort());
  });

  describe('controls: mutated copies of cd.yml must be rejected', () => {
    const mutatedIf = (job: string, from: string, to = '') => {
      const mutated = copy(cd);
      const target = mutated.jobs[job] as Job;
      if (!(target.if ?? '').includes(from)) throw new Error(`${job}: "${from}" is not in its if`);
      target.if = (target.if ?? '').replace(from, to);
      return mutated;
    };

    it('when the prod environment does not wait for the services in test, then the order check names it', () => {
      const mutated = copy(cd);
      (mutated.jobs['prod-environment'] as Job).needs = ['ci', 'plan', 'test-environment'];
      expect(deployOrderProblems(mutated)).toEqual([
        'prod-environment does not come after test-copilot',
        'prod-environment does not come after test-ecs-rollout',
      ]);
    });

    it('when the services to test lose !cancelled(), then a skipped environment holds them up', () => {
      const mutated = mutatedIf('test-copilot', '!cancelled() && ');
      expect(cdScenarioFailures(mutated)).toContain('a service changed, no environment (copilot)');
    });

    it('when the services to prod require the prod environment to have run, then an unchanged environment holds them up', () => {
      const mutated = mutatedIf(
        'prod-ecs-rollout',
        " || needs.plan.outputs.environments-changed == 'false'",
      );
      expect(cdScenarioFailures(mutated)).toContain(
        'a service changed, no environment (ecs-rollout)',
      );
    });

    it('when the services to test ignore the environment deploy, then they run after it failed', () => {
      const mutated = mutatedIf(
        'test-copilot',
        "(needs.test-environment.result == 'success' || needs.plan.outputs.environments-changed == 'false')",
        'true',
      );
      expect(cdScenarioFailures(mutated)).toEqual(['the test environment fails']);
    });

    it('when the prod environment ignores the services in test, then it deploys after they failed', () => {
      const mutated = mutatedIf(
        'prod-environment',
        "(needs.test-copilot.result == 'success' || needs.test-ecs-rollout.result == 'success'",
        "(true || needs.test-ecs-rollout.result == 'success'",
      );
      expect(cdScenarioFailures(mutated)).toEqual([
        'the services fail in test (copilot)',
        'the services fail in test (ecs-rollout)',
      ]);
    });

    it('when the test environment runs whatever the plan says, then it deploys unchanged environments', () => {
      const mutated = mutatedIf(
        'test-environment',
        "needs.plan.outputs.environments-changed == 'true' && ",
      );
      expect(cdScenarioFailures(mutated)).toContain('a service changed, no environment (copilot)');
    });
  });
});

// The Copilot path deploys CI's image by digest: this run's manifest names it as image.location
// instead of image.build. The script that rewrites it is run here on the real manifests, and a
// mutated copy of it (or a manifest it must refuse) must be caught.
describe('copilot-image-location.mjs points a manifest at the scanned digest', () => {
  const SCRIPT = `${ROOT}/.github/scripts/copilot-image-location.mjs`;
  const image = (service: string) =>
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/kafka-ecs/${service}@sha256:${'ab'.repeat(32)}`;
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(`${tmpdir()}/image-location-`);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** The manifest with an environment of its own that builds the image (an override). */
  const environmentBuild = (text: string) => {
    const changed = text.replace(
      /^environments:\n/m,
      'environments:\n  staging:\n    image:\n      build: services/producer/Dockerfile\n',
    );
    if (changed === text) throw new Error('the manifest has no environments: section');
    return changed;
  };

  /** Runs `script` on a copy of `text`: its exit status and the manifest's text afterwards. */
  function point(script: string, text: string, to: string) {
    const path = `${scratch}/manifest.yml`;
    writeFileSync(path, text);
    const result = spawnSync(process.execPath, [script, path, to], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: result.status, text: readFileSync(path, 'utf8'), stderr: result.stderr };
  }

  type Manifest = Record<string, unknown> & {
    image?: Record<string, unknown>;
    environments?: Record<string, { image?: Record<string, unknown> }>;
    sidecars?: Record<string, { image?: unknown }>;
  };
  /** What must hold of the rewritten manifest: the original but image.build → image.location. */
  function rewriteProblems(original: string, rewritten: string, to: string): string[] {
    const after = parse(rewritten) as Manifest;
    const problems: string[] = [];
    if (after.image?.location !== to) problems.push('image.location is not the digest');
    // Copilot refuses build with location, and would build any other image.build it finds.
    const builds = [
      after.image?.build,
      ...Object.values(after.environments ?? {}).map((env) => env.image?.build),
      ...Object.values(after.sidecars ?? {}).map((sidecar) =>
        typeof sidecar.image === 'object'
          ? (sidecar.image as { build?: unknown }).build
          : undefined,
      ),
    ].filter((build) => build !== undefined);
    if (builds.length > 0) problems.push('something is still built');
    // Parsed again rather than cloned: a clone's objects come from another realm under jest,
    // which a strict deep comparison tells apart.
    const expected = parse(original) as Manifest;
    delete expected.image?.build;
    if (expected.image) expected.image.location = to;
    if (!isDeepStrictEqual(after, expected)) problems.push('other keys changed');
    return problems;
  }

  it.each(['producer', 'consumer'])(
    'when the %s manifest is pointed at a digest, then only image.build becomes image.location',
    (service) => {
      const original = readText(`copilot/${service}/manifest.yml`);
      const result = point(SCRIPT, original, image(service));
      expect(result.status).toBe(0);
      expect(rewriteProblems(original, result.text, image(service))).toEqual([]);
      // Comments and ${VAR}s stay as they were: only the lines of image.build differ.
      const removed = original
        .split('\n')
        .filter((line) => !result.text.split('\n').includes(line));
      expect(removed.map((line) => line.trim().split(':')[0])).toEqual([
        'build',
        'dockerfile',
        'context',
      ]);
    },
  );

  it('when a line of image.build is commented out at column 0, then the rewrite still parses and builds nothing', () => {
    const original = readText('copilot/producer/manifest.yml').replace(
      /^( {4}dockerfile: .*)$/m,
      '#    target: runtime\n$1',
    );
    expect(original).toContain('\n#    target: runtime\n');
    const result = point(SCRIPT, original, image('producer'));
    expect(result.status).toBe(0);
    expect(rewriteProblems(original, result.text, image('producer'))).toEqual([]);
  });

  it("when a comment stands right before image's next key, then the rewrite keeps it byte for byte", () => {
    const comment = '  # The port the load balancer routes to.';
    const original = readText('copilot/producer/manifest.yml').replace(
      /^( {2}port: .*)$/m,
      `${comment}\n$1`,
    );
    expect(original).toContain(`\n${comment}\n  port:`);
    const result = point(SCRIPT, original, image('producer'));
    expect(result.status).toBe(0);
    expect(result.text).toContain(`\n${comment}\n  port:`);
    expect(rewriteProblems(original, result.text, image('producer'))).toEqual([]);
  });

  it.each([
    ['an image by tag', (text: string) => text, 'r.example/kafka-ecs/producer:abc123'],
    [
      'a second run on the same manifest',
      (text: string) => text.replace(/ {2}build:\n( {4}.*\n)+/, '  location: x\n'),
      image('producer'),
    ],
    ['an environment that builds its own image', environmentBuild, image('producer')],
    [
      'a sidecar built from a Dockerfile',
      (text: string) =>
        text.replace(
          'image: public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0',
          'image:\n      build: sidecar/Dockerfile',
        ),
      image('producer'),
    ],
  ])('when given %s, then it refuses and leaves the manifest as it was', (_, change, to) => {
    const original = change(readText('copilot/producer/manifest.yml'));
    expect(original).not.toBe('');
    const result = point(SCRIPT, original, to);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('::error::');
    expect(result.text).toBe(original);
  });

  describe('controls: a broken script must be caught', () => {
    const mutant = (name: string, from: string, to: string) => {
      const source = readFileSync(SCRIPT, 'utf8');
      if (!source.includes(from))
        throw new Error(`mutation ${name}: "${from}" is not in the script`);
      const path = `${scratch}/${name}.mjs`;
      writeFileSync(path, source.replace(from, to));
      return path;
    };

    it('when it keeps image.build beside the location, then the check says something is still built', () => {
      const broken = mutant(
        'keeps-build',
        '...lines.slice(buildEnd)];',
        '...lines.slice(build.at)];',
      );
      const relaxed = readFileSync(broken, 'utf8').replace('left.length !== 1', 'false');
      writeFileSync(broken, relaxed);
      const original = readText('copilot/producer/manifest.yml');
      const result = point(broken, original, image('producer'));
      expect(result.status).toBe(0);
      expect(rewriteProblems(original, result.text, image('producer'))).toContain(
        'something is still built',
      );
    });

    it('when it no longer looks for other builds, then an environment build override goes through', () => {
      const broken = mutant('no-leftovers', 'left.length !== 1', 'false');
      const original = environmentBuild(readText('copilot/producer/manifest.yml'));
      const result = point(broken, original, image('producer'));
      expect(result.status).toBe(0);
      expect(rewriteProblems(original, result.text, image('producer'))).toContain(
        'something is still built',
      );
    });

    it('when it takes a tag, then the image deployed is not the scanned digest', () => {
      const broken = mutant('takes-tags', 'if (!IMAGE.test(image))', 'if (false)');
      const original = readText('copilot/producer/manifest.yml');
      const result = point(broken, original, 'r.example/kafka-ecs/producer:abc123');
      expect(result.status).toBe(0);
    });
  });
});

// The digest deployed is CI's build, in place of the one Copilot would make from image.build:
// they are the same only while the manifests build exactly what ci.yml builds.
function buildMismatch(manifest: Record<string, unknown>, service: string): string | undefined {
  const image = manifest.image as { build?: unknown; location?: unknown } | undefined;
  const wanted = { dockerfile: `services/${service}/Dockerfile`, context: '.' };
  if (JSON.stringify(image?.build) !== JSON.stringify(wanted)) {
    return `image.build is ${JSON.stringify(image?.build)}, not what ci.yml builds (${JSON.stringify(wanted)})`;
  }
  if (![undefined, 'linux/x86_64', 'linux/amd64'].includes(manifest.platform as string)) {
    return `platform ${String(manifest.platform)}: ci.yml builds on x86_64`;
  }
  return undefined;
}

describe("the manifests' image.build is what ci.yml builds", () => {
  it.each(['producer', 'consumer'])(
    'when %s is built by CI, then its manifest would build the same',
    (service) => {
      expect(buildMismatch(readYaml(`copilot/${service}/manifest.yml`), service)).toBeUndefined();
      const build = (ci.jobs.image?.steps ?? []).find((step) => step.run?.includes('docker build'));
      expect(build?.run).toContain('--file "services/$SERVICE/Dockerfile"');
      expect(build?.run).not.toMatch(/--build-arg|--target|--platform/);
      expect(ci.jobs.image?.['runs-on']).toBe('ubuntu-24.04');
    },
  );

  it('when a manifest passes build args CI does not (control), then the check says so', () => {
    const manifest = readYaml('copilot/producer/manifest.yml');
    (manifest.image as { build: Record<string, unknown> }).build.args = { MODE: 'x' };
    expect(buildMismatch(manifest, 'producer')).toMatch(/not what ci\.yml builds/);
  });
});

describe('deploy credentials outlast their jobs', () => {
  const workflows = ['deploy-environment', 'deploy-service', 'deploy-rollout'].map(
    (name) => [name, parse(readText(`.github/workflows/${name}.yml`)) as Workflow] as const,
  );

  it.each(workflows)(
    'when %s assumes the deploy role, then the session lasts as long as the job may run',
    (_name, workflow) => {
      expect(credentialsOutlivedBy(workflow)).toEqual([]);
    },
  );

  it('when the environment job (120 min) keeps the default one-hour session (control), then the check names it', () => {
    const [, environment] = workflows[0] ?? [];
    const mutated = copy(environment as Workflow);
    for (const step of Object.values(mutated.jobs).flatMap((job) => job.steps ?? [])) {
      delete step.with?.['role-duration-seconds'];
    }
    expect(credentialsOutlivedBy(mutated)).toEqual(['deploy']);
  });
});

describe("cd.yml deploys an event's reader before its writer", () => {
  const serviceJobs = Object.entries(cd.jobs).filter(
    ([, job]) => job.strategy?.matrix?.service !== undefined,
  );
  /** Service jobs that may deploy two services at once, or go on after one failed. */
  const concurrent = (workflow: Workflow) =>
    Object.entries(workflow.jobs)
      .filter(([, job]) => job.strategy?.matrix?.service !== undefined)
      .filter(
        ([, job]) => job.strategy?.['max-parallel'] !== 1 || job.strategy['fail-fast'] === false,
      )
      .map(([id]) => id);

  it("when a change selects both services, then each environment deploys them one at a time in the plan's order (consumer first: change-detection.test.ts), stopping at a failure", () => {
    expect(serviceJobs.map(([id]) => id).sort()).toEqual([
      'prod-copilot',
      'prod-ecs-rollout',
      'test-copilot',
      'test-ecs-rollout',
    ]);
    expect(concurrent(cd)).toEqual([]);
  });

  it('when the matrices run side by side or go on past a failure (control), then the check names them', () => {
    const parallel = copy(cd);
    for (const job of Object.values(parallel.jobs)) {
      if (job.strategy?.matrix?.service !== undefined) job.strategy['fail-fast'] = false;
    }
    const [first] = Object.keys(cd.jobs).filter((id) => cd.jobs[id]?.strategy?.matrix?.service);
    const one = copy(cd);
    delete one.jobs[first as string]?.strategy?.['max-parallel'];
    expect(concurrent(parallel)).toHaveLength(4);
    expect(concurrent(one)).toEqual([first]);
  });
});
