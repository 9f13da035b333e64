import { spawnSync } from 'node:child_process';
import { listFiles, ROOT, readText, readYaml, TOOLS } from './repo.ts';

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
    expect(job.steps.some((step) => /turbo run lint typecheck test/.test(step.run ?? ''))).toBe(
      true,
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
    !/gh run list [^\n]*--workflow cd\.yml --branch main[^\n]*\n[^\n]*--status success/.test(cdText)
  ) {
    return 'the base is not the last successful run of cd.yml on main';
  }
  if (!/base="\$\(gh run list/.test(cdText) || !cdText.includes('changed-services.mjs "$base"')) {
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
    expect(baseProblem(text.replace('--status success', '--status completed'))).toBe(
      'the base is not the last successful run of cd.yml on main',
    );
    expect(cd.concurrency?.['cancel-in-progress']).toBe(false);
    expect(cd.permissions).toEqual({});
  });

  it('when deploying, then AWS credentials come from an OIDC role, not stored keys', () => {
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(deployText).toMatch(/aws-actions\/configure-aws-credentials@[0-9a-f]{40}/);
    expect(deployText).toContain('role-to-assume:');
    expect(deployText).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
  });

  it('when Copilot is installed, then it is v1.34.1 checked against a pinned sha256', () => {
    expect(deploy.env?.COPILOT_VERSION).toBe('v1.34.1');
    expect(deploy.env?.COPILOT_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(deployText).toMatch(/# sha256 of the release asset copilot-linux-amd64-v1\.34\.1/);
    expect(deployText).toContain('sha256sum --check --strict');
  });

  it('when Copilot has deployed, then the rollout tool confirms the rollout of that image', () => {
    const svcDeploy = deployText.indexOf('copilot svc deploy --app');
    const confirm = deployText.indexOf('ecs-rollout/dist/main.js wait');
    expect(svcDeploy).toBeGreaterThan(0);
    expect(confirm).toBeGreaterThan(svcDeploy);
    expect(deployText).toContain('--image-tag "$GITHUB_SHA"');
  });
});
