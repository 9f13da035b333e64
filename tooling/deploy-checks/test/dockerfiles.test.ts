import { readText } from './repo.ts';

const packageManager = (JSON.parse(readText('package.json')) as { packageManager: string })
  .packageManager;

describe.each([
  { service: 'producer', port: 9001 },
  { service: 'consumer', port: 9000 },
])('services/$service/Dockerfile', ({ service, port }) => {
  const dockerfile = readText(`services/${service}/Dockerfile`);
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
  const stages = instructions.filter((line) => line.startsWith('FROM '));
  const runtime = instructions.slice(instructions.lastIndexOf(stages.at(-1) ?? ''));

  it('when built, then it is multi-stage on the Node slim image (pinned: base-images.test.ts)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.[\d.]+-slim(@sha256:[0-9a-f]{64})?$/m);
    expect(
      stages.every((line) => line.startsWith(`FROM \${NODE_IMAGE}`) || /^FROM \w+ AS/.test(line)),
    ).toBe(true);
  });

  it('when dependencies are installed, then pnpm fetch fills the store and the install is offline', () => {
    expect(dockerfile).toMatch(/pnpm fetch --frozen-lockfile/);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile --offline/);
    expect(dockerfile).toContain(`ARG PNPM_VERSION=${packageManager.replace('pnpm@', '')}`);
  });

  it('when the image is assembled, then only the service production closure (pnpm deploy --prod) is copied', () => {
    expect(dockerfile).toContain(
      `pnpm --filter @kafka-ecs/${service} deploy --prod --offline --config.inject-workspace-packages=true /out`,
    );
    expect(runtime.filter((line) => line.startsWith('COPY'))).toEqual([
      'COPY --from=build --chown=root:root /out ./',
    ]);
  });

  it('when the closure is deployed, then its versions come from the lockfile, not a fresh resolution', () => {
    // --legacy (or force-legacy-deploy) resolves every range again: registry metadata needed,
    // and the image could hold versions CI never tested.
    expect(instructions.join('\n')).not.toMatch(/--legacy|force-legacy-deploy/);
  });

  it('when it runs, then it is a non-root user under tini with an exec-form command on its port', () => {
    expect(runtime).toContain('USER node');
    expect(runtime).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(runtime).toContain('CMD ["node", "--enable-source-maps", "dist/main.js"]');
    expect(runtime).toContain(`EXPOSE ${port}`);
    expect(runtime.join('\n')).toContain('NODE_ENV=production');
  });
});

describe('.dockerignore', () => {
  it('when the context is sent, then node_modules, build output, git and the local toolchain stay out', () => {
    const ignored = readText('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.tools', '.stack', '.env']) {
      expect(ignored).toContain(entry);
    }
  });
});
