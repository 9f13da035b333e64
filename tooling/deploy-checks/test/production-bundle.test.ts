import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startServiceProcess, uniqueName } from '@kafka-ecs/testing';
import { ROOT, readText } from './repo.ts';

// The images' content without a Docker engine: the same steps as the Dockerfiles' build stage
// (build the service and its workspace libraries, then the Dockerfile's own `pnpm deploy`
// command), then the runtime stage's command, plain `node dist/main.js`, run from a folder
// outside the workspace so nothing resolves from it.

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readPackageJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

function pnpm(args: string[]): void {
  execFileSync('pnpm', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000 });
}

/**
 * The Dockerfile's `pnpm --filter … deploy … /out` arguments with `out` for `/out`, so this test
 * runs exactly what the image's build runs.
 */
function dockerfileDeployArgs(service: string, out: string): string[] {
  const dockerfile = readText(`services/${service}/Dockerfile`);
  const command = /&& pnpm (--filter \S+ deploy [^\n\\&]*?) \/out$/m.exec(dockerfile)?.[1];
  if (!command) {
    throw new Error(
      `services/${service}/Dockerfile has no "&& pnpm --filter … deploy … /out" step`,
    );
  }
  return [...command.split(/\s+/), out];
}

/** Starts `node dist/main.js` in `cwd`, from a bare environment, as the image's CMD would. */
function startBundle(cwd: string, env: Record<string, string>) {
  return startServiceProcess({
    cwd,
    entry: 'dist/main.js',
    nodeArgs: ['--enable-source-maps'],
    inheritEnv: false,
    env: { NODE_ENV: 'production', ...env },
    startTimeoutMs: 30_000,
  });
}

interface BundleCase {
  service: string;
  liveness: string;
  env: Record<string, string>;
}

describe.each<BundleCase>([
  {
    service: 'producer',
    liveness: '/producer-svc',
    env: {
      TOKEN_SECRET: randomBytes(32).toString('hex'),
      REDIS_KEY_PREFIX: `${uniqueName('bundle')}:`,
    },
  },
  {
    service: 'consumer',
    liveness: '/',
    env: {
      CONSUMER_GROUP_ID: uniqueName('bundle'),
      VIEW_KEY_PREFIX: `${uniqueName('bundle')}:`,
      ADMIN_TOKEN: randomBytes(16).toString('hex'),
      TOKEN_SECRET: randomBytes(32).toString('hex'),
    },
  },
])('the $service production bundle', ({ service, liveness, env }) => {
  let dir: string;
  let bundle: string;

  beforeAll(() => {
    dir = mkdtempSync(`${tmpdir()}/kafka-ecs-${service}-`);
    bundle = `${dir}/${service}`;
    pnpm([
      'turbo',
      'run',
      'build',
      `--filter=@kafka-ecs/${service}...`,
      '--output-logs=errors-only',
    ]);
    // An empty metadata cache, as on a machine that never resolved a package: a frozen install
    // writes none, so a deploy that resolves ranges (`--legacy`) fails there, offline or not.
    pnpm([`--config.cache-dir=${dir}/pnpm-cache`, ...dockerfileDeployArgs(service, bundle)]);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('when started with plain node, then it answers its liveness route and stops by itself on SIGTERM', async () => {
    const running = await startBundle(bundle, {
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      ...env,
    });
    let exit: number | string | undefined;
    try {
      const response = await fetch(`${running.url}${liveness}`, {
        signal: AbortSignal.timeout(5_000),
      });
      expect(response.status).toBe(200);
    } finally {
      exit = await running.stop();
    }
    // ECS sends SIGTERM and SIGKILLs after stopTimeout (30 s): the process must end before
    // that on its own, through its ordered shutdown (exit 0, not killed by the signal).
    expect(exit).toBe(0);
    expect(running.output.some((line) => line.includes('"signal":"SIGTERM"'))).toBe(true);
  });

  it('when its workspace libraries are resolved, then they are the built dist/ inside the bundle', () => {
    const libraries = readdirSync(`${bundle}/node_modules/@kafka-ecs`);
    expect(libraries.length).toBeGreaterThan(0);
    for (const library of libraries) {
      const manifest = JSON.parse(
        readFileSync(`${bundle}/node_modules/@kafka-ecs/${library}/package.json`, 'utf8'),
      ) as {
        exports: { '.': { default: string } };
      };
      expect(
        existsSync(`${bundle}/node_modules/@kafka-ecs/${library}/${manifest.exports['.'].default}`),
      ).toBe(true);
    }
  });

  it('when the bundle is inspected, then it holds no development dependency', () => {
    const servicePackage = readPackageJson(`${ROOT}/services/${service}/package.json`);
    const rootPackage = readPackageJson(`${ROOT}/package.json`);
    // A package that is a dev dependency here may still be a production dependency of a
    // workspace library in the bundle (kafkajs is one): those belong in the image.
    const production = new Set<string>(Object.keys(servicePackage.dependencies ?? {}));
    for (const library of readdirSync(`${bundle}/node_modules/@kafka-ecs`)) {
      const manifest = readPackageJson(`${bundle}/node_modules/@kafka-ecs/${library}/package.json`);
      for (const name of Object.keys(manifest.dependencies ?? {})) production.add(name);
    }
    const devOnly = [
      ...Object.keys(servicePackage.devDependencies ?? {}),
      ...Object.keys(rootPackage.devDependencies ?? {}),
    ].filter((name) => !production.has(name));
    expect(devOnly).toEqual(expect.arrayContaining(['jest', 'typescript', '@kafka-ecs/testing']));

    const store = readdirSync(`${bundle}/node_modules/.pnpm`);
    const present = devOnly.filter(
      (name) =>
        existsSync(`${bundle}/node_modules/${name}`) ||
        store.some((entry) => entry.startsWith(`${name.replace('/', '+')}@`)),
    );
    expect(present).toEqual([]);
  });
});
