import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parse } from 'yaml';
import { listActions, listFiles, ROOT, readText, readYaml, TOOLS } from './repo.ts';
import {
  copilotWithoutInstall,
  type Workflow as ParsedWorkflow,
  turboTasks,
} from './workflow-rules.ts';

// actionlint, built from its Go module into .tools/bin (scripts/install-deploy-tools.sh).
const workflows = listFiles('.github/workflows', '.yml');

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  jobs: Record<string, Record<string, unknown>>;
}

describe('GitHub workflows', () => {
  it('when actionlint checks every workflow, then it reports nothing', () => {
    expect(workflows).toEqual(
      expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/cd.yml']),
    );
    const result = spawnSync(`${TOOLS}/bin/actionlint`, ['-no-color', ...workflows], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('when a workflow is broken, then actionlint does fail (the check is real)', () => {
    const result = spawnSync(`${TOOLS}/bin/actionlint`, ['-no-color', '-'], {
      input: `on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \${{ github.nope }}\n`,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('nope');
  });
});

describe('ci.yml', () => {
  const ci = readYaml<Workflow>('.github/workflows/ci.yml');
  const job = Object.values(ci.jobs)[0] as {
    services: Record<string, { image: string }>;
    steps: { run?: string; uses?: string; with?: Record<string, string> }[];
  };

  it('when it runs, then it is read-only, on pull requests and called by cd.yml, and cancels superseded runs', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'workflow_call']);
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(ci.concurrency?.['cancel-in-progress']).toBe(true);
    // Keyed by pull request; a run called by cd.yml has a group of its own, never cancelled.
    expect(ci.concurrency?.group).toContain('github.run_id');
  });

  it('when tests need Kafka and Redis, then they run as service containers (Kafka KRaft, Redis 7 exact)', () => {
    expect(job.services.kafka?.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(job.services.redis?.image).toMatch(/^redis:7\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/);
    expect(JSON.stringify(job.services.kafka)).toContain('broker,controller');
  });

  it('when it installs, then the pnpm store is cached and turbo runs lint, typecheck and test', () => {
    const cache = job.steps.find(
      (step) => step.uses?.startsWith('actions/cache@') && step.with?.key?.includes('pnpm-store'),
    );
    expect(cache?.with?.key).toContain("hashFiles('pnpm-lock.yaml')");
    expect(job.steps.flatMap((step) => turboTasks(step.run ?? ''))).toEqual(
      expect.arrayContaining(['lint', 'typecheck', 'test']),
    );
  });
});

/**
 * The base of cd.yml's change detection must be the last commit its pipeline deployed in full,
 * not the push's parent: the changes of a push whose CI failed, or whose queued run a newer push
 * superseded, would otherwise never be deployed.
 */
function baseProblem(cdText: string): string | undefined {
  if (
    !/base="\$\(gh run list [^\n]*--workflow cd\.yml --branch main[^\n]*\n[^\n]*--status success/.test(
      cdText,
    )
  ) {
    return 'the base is not the last successful run of cd.yml on main';
  }
  if (
    !/base="\$\(gh run list/.test(cdText) ||
    !cdText.includes('changed-services.mjs "$base"') ||
    !cdText.includes('changed-services.mjs --environments "$base"') ||
    !cdText.includes('changed-services.mjs --deployments "$base"')
  ) {
    return 'the script is not given the last deployed commit';
  }
  return undefined;
}

describe('cd.yml and deploy-service.yml', () => {
  const cd = readYaml<Workflow>('.github/workflows/cd.yml');
  const deploy = readYaml<Workflow>('.github/workflows/deploy-service.yml');
  const deployText = readText('.github/workflows/deploy-service.yml');

  it('when main changes, then the changed services are worked out from the workspace graph; by hand, one service to one env', () => {
    expect(cd.on.push).toEqual({ branches: ['main'] });
    const dispatch = cd.on.workflow_dispatch as { inputs: Record<string, { options: string[] }> };
    expect(dispatch.inputs.service?.options).toEqual(['producer', 'consumer']);
    expect(dispatch.inputs.environment?.options).toEqual(['test', 'prod']);
    expect(dispatch.inputs.deployer?.options).toEqual(['copilot', 'ecs-rollout']);
    const text = readText('.github/workflows/cd.yml');
    // No hand-written path lists (change-detection.test.ts runs the script itself).
    expect(text).not.toMatch(/paths-filter|paths:/);
    expect(baseProblem(text)).toBeUndefined();
    expect(cd.jobs.plan?.permissions).toEqual({ contents: 'read', actions: 'read' });
  });

  it("when the base is the push's parent (control), then the check rejects it", () => {
    const text = readText('.github/workflows/cd.yml');
    const mutated = text.replace(
      'changed-services.mjs "$base"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, on purpose
      'changed-services.mjs "${{ github.event.before }}"',
    );
    expect(baseProblem(mutated)).toBe('the script is not given the last deployed commit');
    const baseCall = /(base="\$\(gh run list[^\n]*\n[^\n]*)--status success/;
    expect(baseCall.test(text)).toBe(true);
    expect(baseProblem(text.replace(baseCall, '$1--status completed'))).toBe(
      'the base is not the last successful run of cd.yml on main',
    );
    expect(
      baseProblem(
        text.replace(
          '--environments "$base"',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, on purpose
          '--environments "${{ github.event.before }}"',
        ),
      ),
    ).toBe('the script is not given the last deployed commit');
    expect(cd.concurrency?.['cancel-in-progress']).toBe(false);
    expect(cd.permissions).toEqual({});
  });

  it.each(['deploy-service.yml', 'deploy-environment.yml'])(
    'when %s deploys, then AWS credentials come from an OIDC role, not stored keys',
    (name) => {
      const workflow = readYaml<Workflow>(`.github/workflows/${name}`);
      const text = readText(`.github/workflows/${name}`);
      expect(workflow.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      expect(text).toMatch(/aws-actions\/configure-aws-credentials@[0-9a-f]{40}/);
      expect(text).toContain('role-to-assume:');
      expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
      // The GitHub environment holds the role and gates prod.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, kept verbatim
      expect(Object.values(workflow.jobs)[0]?.environment).toBe('${{ inputs.environment }}');
    },
  );

  it('when Copilot has deployed, then the rollout tool confirms the rollout of that digest', () => {
    const svcDeploy = deployText.indexOf('copilot svc deploy --app');
    const confirm = deployText.indexOf('ecs-rollout/dist/main.js wait');
    expect(svcDeploy).toBeGreaterThan(0);
    expect(confirm).toBeGreaterThan(svcDeploy);
    expect(deployText).toContain('--image-tag "$DIGEST"');
    expect(deploy.env).toEqual({ COPILOT_APP: 'kafka-ecs' });
  });
});

describe('deploy-environment.yml', () => {
  const text = readText('.github/workflows/deploy-environment.yml');
  const workflow = readYaml<Workflow>('.github/workflows/deploy-environment.yml');

  it('when an environment changed, then cd.yml runs `copilot env deploy` on it, after checking the certificate is set', () => {
    expect(Object.keys(workflow.on)).toEqual(['workflow_call']);
    expect(text).toContain('copilot env deploy --app "$COPILOT_APP" --name "$ENVIRONMENT"');
    expect(workflow.env?.COPILOT_APP).toBe('kafka-ecs');
    expect(text).toMatch(/if \[ -z "\$PUBLIC_CERTIFICATE_ARN" \]; then\n\s+echo "::error::/);
  });
});

// One Copilot CLI for every job that runs it: .github/actions/install-copilot, v1.34.1 checked
// against a pinned sha256; no workflow downloads it by itself.
describe('Copilot is installed in one place, checksum verified', () => {
  const actionText = readText('.github/actions/install-copilot/action.yml');
  const action = parse(actionText) as { runs: { steps: { env?: Record<string, string> }[] } };
  const copilotWorkflows = ['deploy-service.yml', 'deploy-environment.yml'];

  it('when Copilot is installed, then it is v1.34.1 checked against a pinned sha256', () => {
    const env = action.runs.steps[0]?.env ?? {};
    expect(env.COPILOT_VERSION).toBe('v1.34.1');
    expect(env.COPILOT_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(actionText).toMatch(/# sha256 of the release asset copilot-linux-amd64-v1\.34\.1/);
    expect(actionText).toContain('sha256sum --check --strict');
  });

  it('when a workflow runs copilot, then it installed it with the action first, and nothing else downloads it', () => {
    for (const name of copilotWorkflows) {
      const workflow = readYaml<ParsedWorkflow>(`.github/workflows/${name}`);
      expect({ name, jobs: copilotWithoutInstall(workflow) }).toEqual({ name, jobs: [] });
    }
    const downloads = [...listFiles('.github/workflows', '.yml'), ...listActions()].filter((path) =>
      readText(path).includes('copilot-cli/releases/download'),
    );
    expect(downloads).toEqual(['.github/actions/install-copilot/action.yml']);
  });

  it('when the install step is left out (control), then the check names the job', () => {
    const workflow = readYaml<ParsedWorkflow>('.github/workflows/deploy-environment.yml');
    for (const job of Object.values(workflow.jobs)) {
      job.steps = (job.steps ?? []).filter((step) => !step.uses?.includes('install-copilot'));
    }
    expect(copilotWithoutInstall(workflow)).toEqual(['deploy']);
  });
});

// The plan step's shell, run for real with stand-ins for `gh` and changed-services.mjs: what
// it outputs, and that it warns when ecs-rollout would leave changes of copilot/<service>/ out.
describe("cd.yml's plan step", () => {
  const cd = readYaml<ParsedWorkflow>('.github/workflows/cd.yml');
  const planRun = (cd.jobs.plan?.steps ?? []).find((step) => step.run?.includes('changed-services'))
    ?.run as string;
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(`${tmpdir()}/plan-step-`);
    // `gh run list` prints the base, or with `--commit` STUB_PASSED (how many successful push
    // runs the commit has) and notes it was asked; `node <script> [--mode] <base>` prints
    // STUB_<MODE>.
    writeFileSync(
      `${scratch}/gh`,
      [
        '#!/bin/sh',
        'case "$*" in',
        '  *--commit*) echo "$*" >> "$GH_ASKED"; [ "$STUB_PASSED" = fails ] && exit 1; echo "$STUB_PASSED" ;;',
        '  *) echo 0123456789abcdef0123456789abcdef01234567 ;;',
        'esac',
        '',
      ].join('\n'),
    );
    writeFileSync(
      `${scratch}/node`,
      [
        '#!/bin/sh',
        'case "$2" in',
        '  --environments) echo "$STUB_ENVIRONMENTS" ;;',
        '  --deployments) echo "$STUB_DEPLOYMENTS" ;;',
        '  *) echo "$STUB_SERVICES" ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(`${scratch}/gh`, 0o755);
    chmodSync(`${scratch}/node`, 0o755);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs `run` as the step would: its outputs and annotations. */
  function plan(run: string, env: Record<string, string>) {
    const output = `${scratch}/output`;
    writeFileSync(output, '');
    const result = spawnSync('bash', ['-e', '-c', run], {
      timeout: 30_000,
      encoding: 'utf8',
      env: {
        PATH: `${scratch}:/usr/bin:/bin`,
        GITHUB_OUTPUT: output,
        GITHUB_REPOSITORY: 'owner/repo',
        GITHUB_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
        GH_ASKED: `${scratch}/gh-asked`,
        STUB_PASSED: '1',
        EVENT: 'push',
        REF: 'refs/heads/main',
        STUB_SERVICES: '["producer"]',
        STUB_ENVIRONMENTS: 'false',
        STUB_DEPLOYMENTS: '[]',
        ...env,
      },
    });
    const outputs = Object.fromEntries(
      readFileSync(output, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    return {
      status: result.status,
      outputs,
      warnings: result.stdout.match(/::warning::.*/g) ?? [],
      errors: result.stdout.match(/::error::.*/g) ?? [],
    };
  }

  it('when a push changed the environments, then the plan says so', () => {
    const result = plan(planRun, { STUB_ENVIRONMENTS: 'true' });
    expect(result.status).toBe(0);
    expect(result.outputs).toMatchObject({
      services: '["producer"]',
      deployer: 'copilot',
      'environments-changed': 'true',
      'to-test': 'true',
      'to-prod': 'true',
    });
    expect(result.warnings).toEqual([]);
  });

  it('when run by hand, then no environment is deployed', () => {
    const result = plan(planRun, {
      EVENT: 'workflow_dispatch',
      INPUT_SERVICE: 'consumer',
      INPUT_ENVIRONMENT: 'prod',
      INPUT_DEPLOYER: 'ecs-rollout',
      STUB_ENVIRONMENTS: 'true',
    });
    expect(result.outputs).toMatchObject({
      services: '["consumer"]',
      'environments-changed': 'false',
      'to-test': 'false',
      'to-prod': 'true',
    });
  });

  it('when run by hand on another branch, then nothing is deployed and the run says why', () => {
    const byHand = {
      EVENT: 'workflow_dispatch',
      INPUT_SERVICE: 'consumer',
      INPUT_ENVIRONMENT: 'prod',
      INPUT_DEPLOYER: 'copilot',
    };
    const result = plan(planRun, { ...byHand, REF: 'refs/heads/feature' });
    expect(result.status).not.toBe(0);
    expect(result.outputs).toEqual({});
    expect(result.errors).toEqual([
      '::error::deploy by hand from main only; this run is on refs/heads/feature',
    ]);
    expect(plan(planRun, byHand).status).toBe(0);
    expect(cd.concurrency).toEqual({
      group: `\${{ github.ref == 'refs/heads/main' && 'cd-deploy' || format('cd-refused-{0}', github.run_id) }}`,
      'cancel-in-progress': false,
    });
    expect(cd.jobs.plan?.steps?.find((step) => step.id === 'plan')?.env?.REF).toBe(
      `\${{ github.ref }}`,
    );
  });

  it('when run by hand to prod, then only a commit whose push run succeeded is taken (a redeploy), and one whose deploy to test failed is refused', () => {
    const toProd = {
      EVENT: 'workflow_dispatch',
      INPUT_SERVICE: 'producer',
      INPUT_ENVIRONMENT: 'prod',
      INPUT_DEPLOYER: 'copilot',
    };
    rmSync(`${scratch}/gh-asked`, { force: true });
    const redeploy = plan(planRun, toProd);
    expect(redeploy.status).toBe(0);
    expect(redeploy.outputs).toMatchObject({ 'to-test': 'false', 'to-prod': 'true' });
    expect(readFileSync(`${scratch}/gh-asked`, 'utf8')).toMatch(
      /--workflow cd\.yml --branch main --event push --status success --commit fedcba98/,
    );

    const untested = plan(planRun, { ...toProd, STUB_PASSED: '0' });
    expect(untested.status).not.toBe(0);
    expect(untested.outputs).toEqual({});
    expect(untested.errors).toEqual([
      expect.stringMatching(/^::error::fedcba98\w+ has no successful push run of this pipeline/),
    ]);

    const unknown = plan(planRun, { ...toProd, STUB_PASSED: 'fails' });
    expect(unknown.status).not.toBe(0);
    expect(unknown.errors).toEqual([expect.stringMatching(/^::error::could not ask GitHub/)]);
  });

  it('when run by hand to test, then GitHub is not asked about the commit', () => {
    rmSync(`${scratch}/gh-asked`, { force: true });
    const result = plan(planRun, {
      EVENT: 'workflow_dispatch',
      INPUT_SERVICE: 'producer',
      INPUT_ENVIRONMENT: 'test',
      INPUT_DEPLOYER: 'copilot',
      STUB_PASSED: 'fails',
    });
    expect(result.status).toBe(0);
    expect(result.outputs).toMatchObject({ 'to-test': 'true', 'to-prod': 'false' });
    expect(existsSync(`${scratch}/gh-asked`)).toBe(false);
  });

  it('when ecs-rollout deploys a service whose copilot/<service>/ changed, then the run warns that the change is not applied', () => {
    const changed = { STUB_DEPLOYMENTS: '["producer"]' };
    const warned = plan(planRun, { ...changed, REPO_DEPLOYER: 'ecs-rollout' }).warnings;
    expect(warned).toEqual([expect.stringMatching(/ecs-rollout deploys images only.*producer/)]);
    expect(plan(planRun, changed).warnings).toEqual([]);
    expect(plan(planRun, { REPO_DEPLOYER: 'ecs-rollout' }).warnings).toEqual([]);
  });

  it('when the warning is gone (control), then the check notices', () => {
    const silent = planRun.replace(/echo "::warning::ecs-rollout[^\n]*/, ':');
    expect(silent).not.toBe(planRun);
    const result = plan(silent, { STUB_DEPLOYMENTS: '["producer"]', REPO_DEPLOYER: 'ecs-rollout' });
    expect(result.status).toBe(0);
    expect(result.warnings).toEqual([]);
  });
});
