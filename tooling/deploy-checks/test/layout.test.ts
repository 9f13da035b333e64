import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, readYaml } from './repo.ts';

// The top folder says whether a file ships (docs/architecture.md, "The map"): product libraries,
// services and operator tools never need development tooling at run time.

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const GROUPS = ['packages', 'services', 'tools', 'tooling'] as const;

function workspacePackages(group: string): { folder: string; manifest: Manifest }[] {
  return readdirSync(join(ROOT, group))
    .filter((name) => existsSync(join(ROOT, group, name, 'package.json')))
    .map((name) => ({
      folder: `${group}/${name}`,
      manifest: JSON.parse(readFileSync(join(ROOT, group, name, 'package.json'), 'utf8')),
    }));
}

const tooling = new Set(workspacePackages('tooling').map(({ manifest }) => manifest.name));

describe('the workspace layout', () => {
  it('when pnpm looks for workspace packages, then it finds the four groups and nothing else', () => {
    const { packages } = readYaml<{ packages: string[] }>('pnpm-workspace.yaml');
    expect(packages).toEqual(GROUPS.map((group) => `${group}/*`));
  });

  it.each(['packages', 'services', 'tools'])(
    'when a package in %s/ is installed for production, then it pulls in no development tooling',
    (group) => {
      const offending = workspacePackages(group).flatMap(({ folder, manifest }) =>
        Object.keys(manifest.dependencies ?? {})
          .filter((name) => tooling.has(name))
          .map((name) => `${folder} → ${name}`),
      );
      expect(offending).toEqual([]);
    },
  );

  it('when the tooling group is read, then it holds the harness, the stack, the bench, the fault suite and these checks', () => {
    expect([...tooling].sort()).toEqual([
      '@kafka-ecs/bench',
      '@kafka-ecs/deploy-checks',
      '@kafka-ecs/devstack',
      '@kafka-ecs/reliability',
      '@kafka-ecs/testing',
    ]);
  });
});
