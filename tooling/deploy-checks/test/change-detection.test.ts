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

// .github/scripts/changed-services.mjs decides which services cd.yml deploys. It is run here for
// real, on a scratch clone of this repository: one commit per case on top of HEAD, and the
// script's answer compared with what must be deployed. Mutated copies of the script (each with
// one of its rules broken) must get some case wrong, so the cases do test those rules.
const SCRIPT = `${ROOT}/.github/scripts/changed-services.mjs`;
const ZERO = '0'.repeat(40);

interface Case {
  name: string;
  /** Files to append a line to (created when missing), relative to the repository root. */
  touch: string[];
  services: string[];
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
  { name: 'an environment addon', touch: ['copilot/environments/addons/kafka.yml'], services: [] },
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

/** Commits the case's changes on top of HEAD and returns what `script` selects for them. */
function selects(script: string, change: Case, since = base): string[] {
  git('checkout', '--quiet', '--force', '-B', 'case', base);
  for (const path of change.touch) {
    mkdirSync(dirname(`${clone}/${path}`), { recursive: true });
    const comment = path.endsWith('.ts') ? '//' : '#';
    appendFileSync(`${clone}/${path}`, `\n${comment} scratch change\n`);
  }
  git('add', '--all');
  git('commit', '--quiet', '--allow-empty', '-m', change.name);
  const out = execFileSync('node', [script, since], {
    cwd: clone,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return JSON.parse(out) as string[];
}

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
  it.each(CASES)('when a commit changes $name, then it deploys $services', (change) => {
    expect(selects(SCRIPT, change)).toEqual(change.services);
  });

  it('when the base is unknown (a new branch pushes 000…0), then every service is deployed', () => {
    expect(selects(SCRIPT, byName('docs only'), ZERO)).toEqual(['consumer', 'producer']);
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

  it('when the copilot/<service> rule is gone, then a manifest change deploys nothing', () => {
    const broken = mutant('no-copilot', "'--name-only',", "'--name-only', '--diff-filter=X',");
    const change = byName("the producer's Copilot manifest");
    expect(selects(broken, change)).not.toEqual(change.services);
  });
});
