#!/usr/bin/env node
// Which services must be deployed after the commits base..HEAD: prints a JSON array of service
// names (the folders under services/, which are also the Copilot service names), e.g.
// ["consumer"]. Run from the repository root with pnpm on the PATH:
//
//   node .github/scripts/changed-services.mjs <base-commit>
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
// A base that is missing, all zeros (a new branch) or not in the clone selects every service.
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

export function changedServices(base) {
  const services = projects(['-r'])
    .filter((project) => project.dir.startsWith('services/'))
    .map((project) => ({ name: basename(project.dir), package: project.name }));
  const all = services.map((service) => service.name).sort();
  if (!base || ZERO.test(base) || !isCommit(base)) {
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
  // One diff for every service's deployment folder; without rename pairing, a file moved out of
  // copilot/<service>/ still counts for that service.
  const deploymentChanges = run('git', [
    'diff',
    '--name-only',
    '--no-renames',
    base,
    'HEAD',
    '--',
    'copilot/',
  ])
    .split('\n')
    .filter(Boolean);
  return services
    .filter(
      (service) =>
        names.has(service.package) ||
        deploymentChanges.some((file) => file.startsWith(`copilot/${service.name}/`)),
    )
    .map((service) => service.name)
    .sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(changedServices(process.argv[2])));
}
