import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { ROOT } from './repo.ts';

// .github/scripts/changed-services.mjs decides which services cd.yml deploys, whether it deploys
// the environments first (--environments), and which services' copilot/<service>/ changed
// (--deployments: what the ecs-rollout deployer leaves out, and the plan warns about). It is run
// here for real, on a scratch clone of this repository: one commit per case on top of HEAD, and
// the script's answers compared with what must be deployed. Mutated copies of the script (each
// with one of its rules broken) must get some case wrong, so the cases do test those rules.
const SCRIPT = `${ROOT}/.github/scripts/changed-services.mjs`;
const ZERO = '0'.repeat(40);

interface Case {
  name: string;
  /** Files to append a line to (created when missing), relative to the repository root. */
  touch: string[];
  services: string[];
  /** Whether copilot/environments/ changed (default false). */
  environments?: boolean;
  /** The services whose copilot/<service>/ changed (default none). */
  deployments?: string[];
}

const CASES: Case[] = [
  {
    name: 'a library only the consumer uses',
    touch: ['packages/retry/src/index.ts'],
    services: ['consumer'],
  },
  {
    name: 'a library both use',
    touch: ['packages/events/src/index.ts'],
    // In this order (DEPLOY_ORDER): cd.yml deploys them one at a time, reader before writer.
    services: ['consumer', 'producer'],
  },
  {
    name: "the producer's Dockerfile",
    touch: ['services/producer/Dockerfile'],
    services: ['producer'],
  },
  {
    name: "the producer's Copilot manifest",
    touch: ['copilot/producer/manifest.yml'],
    services: ['producer'],
    deployments: ['producer'],
  },
  {
    name: "the consumer's addon",
    touch: ['copilot/consumer/addons/kafka-access.yml'],
    services: ['consumer'],
    deployments: ['consumer'],
  },
  {
    name: 'a dependency patch',
    touch: ['patches/kafkajs@2.2.4.patch'],
    services: ['consumer', 'producer'],
  },
  {
    name: 'the workspace file',
    touch: ['pnpm-workspace.yaml'],
    services: ['consumer', 'producer'],
  },
  { name: 'the lockfile', touch: ['pnpm-lock.yaml'], services: ['consumer', 'producer'] },
  { name: 'docs only', touch: ['docs/deploy.md', 'docs/development.md'], services: [] },
  // Conservative: the root README is in the build context (.dockerignore keeps docs/ out, not it).
  {
    name: 'a root file of the build context (README.md)',
    touch: ['README.md'],
    services: ['consumer', 'producer'],
  },
  { name: 'a test of a library', touch: ['packages/retry/src/scratch-case.test.ts'], services: [] },
  { name: 'a dev-only workspace package', touch: ['tooling/devstack/src/index.ts'], services: [] },
  { name: 'the workflows', touch: ['.github/workflows/ci.yml'], services: [] },
  {
    name: 'an environment addon',
    touch: ['copilot/environments/addons/kafka.yml'],
    services: [],
    environments: true,
  },
  {
    name: "the prod environment's manifest",
    touch: ['copilot/environments/prod/manifest.yml'],
    services: [],
    environments: true,
  },
  {
    name: "the environments' overrides and a service's manifest",
    touch: ['copilot/environments/overrides/cfn.patches.yml', 'copilot/consumer/manifest.yml'],
    services: ['consumer'],
    environments: true,
    deployments: ['consumer'],
  },
];

let scratch: string;
let clone: string;
let base: string;

function git(...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=deploy-checks',
      '-c',
      'user.email=checks@localhost',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: clone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
}

/** Commits the case's changes on top of HEAD. */
function commit(change: Case): void {
  git('checkout', '--quiet', '--force', '-B', 'case', base);
  for (const path of change.touch) {
    mkdirSync(dirname(`${clone}/${path}`), { recursive: true });
    const comment = path.endsWith('.ts') ? '//' : '#';
    appendFileSync(`${clone}/${path}`, `\n${comment} scratch change\n`);
  }
  git('add', '--all');
  git('commit', '--quiet', '--allow-empty', '-m', change.name);
}

/** What `script` answers (in `mode`, none for the services) on the commit checked out. */
function answer(script: string, since: string, mode?: string): unknown {
  const out = execFileSync('node', [script, ...(mode ? [mode] : []), since], {
    cwd: clone,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return JSON.parse(out);
}

/** Commits the case's changes on top of HEAD and returns what `script` selects for them. */
function selects(script: string, change: Case, since = base): string[] {
  commit(change);
  return answer(script, since) as string[];
}

/** Commits the case's changes and returns all three answers of `script`. */
function plans(script: string, change: Case, since = base) {
  commit(change);
  return {
    services: answer(script, since),
    environments: answer(script, since, '--environments'),
    deployments: answer(script, since, '--deployments'),
  };
}

const expected = (change: Case) => ({
  services: change.services,
  environments: change.environments ?? false,
  deployments: change.deployments ?? [],
});

/** A copy of the script with one rule broken. */
function mutant(name: string, from: string, to: string): string {
  const source = readFileSync(SCRIPT, 'utf8');
  if (!source.includes(from)) throw new Error(`mutation ${name}: "${from}" is not in the script`);
  const path = `${scratch}/${name}.mjs`;
  writeFileSync(path, source.replace(from, to));
  return path;
}

const byName = (name: string): Case => {
  const found = CASES.find((change) => change.name === name);
  if (!found) throw new Error(`no case ${name}`);
  return found;
};

beforeAll(() => {
  scratch = mkdtempSync(`${tmpdir()}/change-detection-`);
  clone = `${scratch}/repo`;
  execFileSync('git', ['clone', '--quiet', '--shared', '--no-checkout', ROOT, clone]);
  base = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('changed-services.mjs on a scratch clone', () => {
  it.each(CASES)(
    'when a commit changes $name, then it deploys $services (environments: $environments)',
    (change) => {
      expect(plans(SCRIPT, change)).toEqual(expected(change));
    },
  );

  it('when the base is unknown (a new branch pushes 000…0), then every service and the environments are deployed', () => {
    expect(plans(SCRIPT, byName('docs only'), ZERO)).toEqual({
      services: ['consumer', 'producer'],
      environments: true,
      deployments: ['consumer', 'producer'],
    });
  });

  it('when given an option it does not know, then it fails rather than answer', () => {
    commit(byName('docs only'));
    expect(() => answer(SCRIPT, base, '--environment')).toThrow(/unknown option --environment/);
  });
});

describe('changed-services.mjs controls (a broken rule must get a case wrong)', () => {
  it('when dev dependencies are followed (--filter), then a dev-only package change deploys', () => {
    const broken = mutant('filter-dev', "'--filter-prod'", "'--filter'");
    const change = byName('a dev-only workspace package');
    expect(selects(broken, change)).not.toEqual(change.services);
  });

  it('when root files are not every image input, then a patch change deploys nothing', () => {
    const broken = mutant('no-root', "project.dir === ''", 'false');
    const change = byName('a dependency patch');
    expect(selects(broken, change)).not.toEqual(change.services);
  });

  it('when .dockerignore is not applied, then a docs change deploys', () => {
    const broken = mutant('no-ignore', 'return patterns.flatMap(', 'return [].flatMap(');
    const change = byName('docs only');
    expect(selects(broken, change)).not.toEqual(change.services);
  });

  it('when copilot/environments/ is not looked at, then an environment addon change deploys no environment', () => {
    const broken = mutant(
      'no-environments',
      "file.startsWith('copilot/environments/')",
      "file.startsWith('copilot/environment/')",
    );
    const change = byName('an environment addon');
    expect(plans(broken, change)).not.toEqual(expected(change));
  });

  it('when an unknown base counts as no environment change, then a new branch deploys no environment', () => {
    const broken = mutant(
      'unknown-no-environments',
      'environments too`);\n    return true;',
      'environments too`);\n    return false;',
    );
    expect(plans(broken, byName('docs only'), ZERO).environments).toBe(false);
  });

  it("when --deployments ignores the service's folder, then an addon change is not reported", () => {
    const broken = mutant(
      'no-deployments',
      'return names.filter((name) => changes.some(',
      'return names.filter(() => false && changes.some(',
    );
    const change = byName("the consumer's addon");
    expect(plans(broken, change)).not.toEqual(expected(change));
  });

  it('when the copilot/<service> rule is gone, then a manifest change deploys nothing', () => {
    const broken = mutant('no-copilot', "'--name-only',", "'--name-only', '--diff-filter=X',");
    const change = byName("the producer's Copilot manifest");
    expect(selects(broken, change)).not.toEqual(change.services);
  });
});
