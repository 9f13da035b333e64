#!/usr/bin/env node
// Which services must be deployed after the commits base..HEAD: prints a JSON array of service
// names (the folders under services/, which are also the Copilot service names), e.g.
// ["consumer"]. Run from the repository root with pnpm on the PATH:
//
//   node .github/scripts/changed-services.mjs <base-commit>
//   node .github/scripts/changed-services.mjs --environments <base-commit>   # true or false
//   node .github/scripts/changed-services.mjs --deployments <base-commit>    # ["producer"]
//
// --environments: whether anything under copilot/environments/ (the environments' manifests,
// addons, overrides) changed, so that cd.yml runs `copilot env deploy` before the services.
// --deployments: the services whose copilot/<service>/ changed (what the ecs-rollout deployer,
// which swaps images only, does not apply; cd.yml warns about them).
//
// Nothing here is a list of paths. A service is affected when a file that goes into its image
// changed, and the workspace's own dependency graph says which files those are:
//   - pnpm's changed-since filter, following production dependencies only (`--filter-prod
//     "...[base]"`): a changed package and every package that depends on it at run time, so a
//     change in packages/retry selects the consumer and a change in tooling/devstack (a dev
//     dependency of the services' tests) selects nothing;
//   - files the image build never sees do not count: .dockerignore's patterns are passed as
//     `--changed-files-ignore-pattern`, so docs, tests, .github and copilot/ select nothing;
//   - a changed file of the build context outside every package (pnpm-lock.yaml,
//     pnpm-workspace.yaml, patches/, package.json, .npmrc, tsconfig.base.json, …) belongs to
//     the workspace root, which every image is built from: every service;
//   - copilot/<service>/ is that service's deployment (manifest, addons, overrides).
// A base that is missing, all zeros (a new branch) or not in the clone selects every service,
// and counts as a change of the environments and of every service's deployment.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';

const ZERO = /^0+$/;

function run(command, args, stderr = 'inherit') {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', stderr] });
}

/** The workspace's projects: name and folder relative to the root ('' for the root). */
function projects(args) {
  const root = process.cwd();
  const listed = JSON.parse(run('pnpm', [...args, 'ls', '--json', '--depth', '-1']));
  return listed.map((project) => ({ name: project.name, dir: relative(root, project.path) }));
}

/** .dockerignore's patterns, each as itself and as a folder (`docs` ignores docs/**). */
export function ignorePatterns(dockerignore) {
  const patterns = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (patterns.some((pattern) => pattern.startsWith('!'))) {
    // A re-included file would be ignored here: refuse rather than miss a deploy.
    throw new Error('.dockerignore has a "!" exception, which this script does not model');
  }
  return patterns.flatMap((pattern) => {
    const bare = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
    return [bare, `${bare}/**`];
  });
}

function isCommit(ref) {
  try {
    run('git', ['cat-file', '-e', `${ref}^{commit}`], 'ignore');
    return true;
  } catch {
    return false;
  }
}

const knownBase = (base) => Boolean(base) && !ZERO.test(base) && isCommit(base);

/**
 * The files changed base..HEAD under copilot/. Without rename pairing, a file moved out of a
 * folder still counts for that folder.
 */
function copilotChanges(base) {
  return run('git', ['diff', '--name-only', '--no-renames', base, 'HEAD', '--', 'copilot/'])
    .split('\n')
    .filter(Boolean);
}

/** The workspace's services: folder name under services/ (the Copilot name) and package. */
function workspaceServices() {
  return projects(['-r'])
    .filter((project) => project.dir.startsWith('services/'))
    .map((project) => ({ name: basename(project.dir), package: project.name }));
}

/** Whether a file under copilot/environments/ changed base..HEAD (true for an unknown base). */
export function environmentsChanged(base) {
  if (!knownBase(base)) {
    console.error(`[changed-services] base "${base ?? ''}" is not a commit here: environments too`);
    return true;
  }
  return copilotChanges(base).some((file) => file.startsWith('copilot/environments/'));
}

/** The services whose copilot/<service>/ changed base..HEAD (all for an unknown base). */
export function changedDeployments(base) {
  const names = workspaceServices()
    .map((service) => service.name)
    .sort();
  if (!knownBase(base)) return names;
  const changes = copilotChanges(base);
  return names.filter((name) => changes.some((file) => file.startsWith(`copilot/${name}/`)));
}

/**
 * The order cd.yml deploys services in, one at a time: an event's reader before its writer, so
 * a change to an event reaches the consumer (whose strict schemas dead-letter what they do not
 * know) before the producer sends it. A service not listed goes last, by name.
 */
const DEPLOY_ORDER = ['consumer', 'producer'];
const rank = (name) => {
  const at = DEPLOY_ORDER.indexOf(name);
  return at === -1 ? DEPLOY_ORDER.length : at;
};
const inDeployOrder = (a, b) => rank(a) - rank(b) || a.localeCompare(b);

export function changedServices(base) {
  const services = workspaceServices();
  const all = services.map((service) => service.name).sort(inDeployOrder);
  if (!knownBase(base)) {
    console.error(`[changed-services] base "${base ?? ''}" is not a commit here: every service`);
    return all;
  }
  const ignore = ignorePatterns(readFileSync('.dockerignore', 'utf8')).flatMap((pattern) => [
    '--changed-files-ignore-pattern',
    pattern,
  ]);
  const selected = projects(['--filter-prod', `...[${base}]`, ...ignore]);
  if (selected.some((project) => project.dir === '')) {
    console.error(
      '[changed-services] a build-context file outside the packages changed: every service',
    );
    return all;
  }
  const names = new Set(selected.map((project) => project.name));
  // One diff for every service's deployment folder.
  const deploymentChanges = copilotChanges(base);
  return services
    .filter(
      (service) =>
        names.has(service.package) ||
        deploymentChanges.some((file) => file.startsWith(`copilot/${service.name}/`)),
    )
    .map((service) => service.name)
    .sort(inDeployOrder);
}

const MODES = {
  '--services': changedServices,
  '--environments': environmentsChanged,
  '--deployments': changedDeployments,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const [first, second] = process.argv.slice(2);
  const [mode, base] = first?.startsWith('--') ? [first, second] : ['--services', first];
  const answer = MODES[mode];
  if (!answer) {
    console.error(`[changed-services] unknown option ${mode} (${Object.keys(MODES).join(', ')})`);
    process.exit(2);
  }
  console.log(JSON.stringify(answer(base)));
}
