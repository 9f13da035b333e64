import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, runCommand } from '@kafka-ecs/testing';
import { repoRoot } from '../src/paths.ts';

// scripts/bootstrap.sh (what ./pnpmw runs first) on machines that lack what the native stack
// needs. The machine is this one with some commands taken off PATH: a folder of links to every
// command on the test's PATH but those, plus stand-ins that record how they were called. It
// keeps its tools in a folder of its own (KAFKA_ECS_TOOLS_DIR), never the workspace's .tools.

const bootstrap = join(repoRoot(), 'scripts', 'bootstrap.sh');

interface Machine {
  bin: string;
  /** The bootstrap's tools folder, already holding Node, pnpm and an up-to-date install. */
  tools: string;
  /** What a stand-in was asked, one call per line ('' when never called). */
  calls(standIn: 'apt-get' | 'sudo' | 'npm' | 'pnpm'): string;
}

/** A shell stand-in that appends its arguments to `log`, then runs `body`. */
const recording = (log: string, body: string) => `echo "$*" >> '${log}'\n${body}`;

/**
 * A tools folder as a finished bootstrap leaves it, so that nothing is fetched or installed:
 * this Node, a pnpm of the pinned version (a stand-in that records and refuses: the bootstrap has
 * no business running it here) and the stamp of an install from the current lockfile.
 */
function preparedTools(dir: string, pnpmLog: string): string {
  const tools = join(dir, 'tools');
  mkdirSync(join(tools, 'node', 'bin'), { recursive: true });
  symlinkSync(process.execPath, join(tools, 'node', 'bin', 'node'));
  const pinned = (
    JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
      packageManager: string;
    }
  ).packageManager.replace(/^pnpm@/, '');
  mkdirSync(join(tools, 'pnpm', 'bin'), { recursive: true });
  writeFileSync(join(tools, 'pnpm', 'package.json'), JSON.stringify({ version: pinned }));
  writeFileSync(
    join(tools, 'pnpm', 'bin', 'pnpm.cjs'),
    `require('node:fs').appendFileSync(${JSON.stringify(pnpmLog)}, process.argv.slice(2).join(' ') + '\\n');\nprocess.exit(1);\n`,
  );
  copyFileSync(join(repoRoot(), 'pnpm-lock.yaml'), join(tools, '.installed-lock'));
  return tools;
}

function machineWithout(
  dir: string,
  missing: string[],
  standIns: Record<string, string> = {},
): Machine {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = (name: string) => join(dir, `${name}.calls`);
  const scripts: Record<string, string> = {
    // Refreshing the lists works; installing fails, as on a machine without the registry.
    'apt-get': recording(log('apt-get'), '[ "$1" = update ]'),
    // As a user the bootstrap asks `sudo -n apt-get …`; the real sudo would run the real apt-get
    // (its secure_path ignores this PATH), or fail wanting a password. This one runs the rest
    // of its arguments on this machine.
    sudo: recording(log('sudo'), '[ "$1" = -n ] && shift\nexec "$@"'),
    // Node and pnpm are in the tools folder already: any download is a bug.
    npm: recording(log('npm'), 'exit 1'),
    ...standIns,
  };
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const skip = new Set([...missing, ...Object.keys(scripts)]);
  // The machine's Node is the one running this test, not the first on PATH (maybe older).
  if (!skip.has('node')) {
    skip.add('node');
    symlinkSync(process.execPath, join(bin, 'node'));
  }
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (!folder || !existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      if (skip.has(name)) continue;
      skip.add(name); // the first on PATH wins, as in a shell
      symlinkSync(join(folder, name), join(bin, name));
    }
  }
  return {
    bin,
    tools: preparedTools(dir, log('pnpm')),
    calls: (standIn) => (existsSync(log(standIn)) ? readFileSync(log(standIn), 'utf8').trim() : ''),
  };
}

/** A stand-in `id` that says the bootstrap runs as `uid`, whoever runs the test. */
const runningAs = (uid: number) => ({
  id: `[ "$1" = -u ] && echo ${uid} && exit 0\necho "unexpected: id $*" >&2\nexit 1`,
});

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Runs the bootstrap; nothing answers on the stack's ports unless `ports` names listeners. */
async function runBootstrap(machine: Machine, ports?: { kafka: number; redis: number }) {
  const { kafka, redis } = ports ?? { kafka: await freePort(), redis: await freePort() };
  return runCommand('bash', [bootstrap], {
    env: {
      PATH: machine.bin,
      HOME: process.env.HOME,
      KAFKA_PORT: String(kafka),
      REDIS_PORT: String(redis),
      KAFKA_ECS_TOOLS_DIR: machine.tools,
    },
    timeoutMs: 60_000,
  });
}

const lastLine = (text: string) => text.trim().split('\n').at(-1);

describe('bootstrap, on a machine without the native stack', () => {
  let dir: string;
  const servers: Server[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bootstrap-'));
  });
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('when Java is missing and no Kafka answers, then it stops with one line naming Java and the Docker path', async () => {
    const machine = machineWithout(dir, ['java', 'mvn']);
    const { code, stderr } = await runBootstrap(machine);
    expect(code).toBe(1);
    expect(lastLine(stderr)).toBe(
      '[bootstrap] error: Java 17+ is missing (the local Kafka broker runs on it): sudo apt-get install openjdk-17-jre-headless, or start Kafka and Redis with Docker first (docker compose up -d)',
    );
  });

  it('when Kafka and Redis already answer (docker compose), then it needs no Java, Maven or redis-server, installs nothing, and says which path it took', async () => {
    const machine = machineWithout(dir, ['java', 'mvn', 'redis-server']);
    const kafka = await listening();
    const redis = await listening();
    servers.push(kafka.server, redis.server);

    const { code, stderr } = await runBootstrap(machine, { kafka: kafka.port, redis: redis.port });

    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(stderr).toContain(
      `[bootstrap] stack: no Java/Maven here, so the Kafka answering on 127.0.0.1:${kafka.port} is used (docker compose?)`,
    );
    expect(stderr).toContain(
      `[bootstrap] stack: no redis-server here, so the Redis answering on 127.0.0.1:${redis.port} is used (docker compose?)`,
    );
    expect(machine.calls('apt-get')).toBe('');
    // Node and pnpm were in place and the install up to date: nothing fetched, nothing run.
    expect(machine.calls('npm')).toBe('');
    expect(machine.calls('pnpm')).toBe('');
    // The tools it put on PATH were the machine's (env.sh wrote its pnpm shim there).
    expect(readFileSync(join(machine.tools, 'bin', 'pnpm'), 'utf8')).toContain(
      join(machine.tools, 'pnpm', 'bin', 'pnpm.cjs'),
    );
  });

  it.each([
    { who: 'root', uid: 0, sudo: '' },
    {
      who: 'a user',
      uid: 1000,
      sudo: '-n apt-get update -qq\n-n apt-get install -y -qq redis-server',
    },
  ])(
    "when redis-server is missing and no Redis answers, then it installs Debian's redis-server with apt-get (as $who)",
    async ({ uid, sudo }) => {
      const machine = machineWithout(dir, ['redis-server'], runningAs(uid));
      const { code, stderr } = await runBootstrap(machine);
      expect(machine.calls('apt-get')).toBe('update -qq\ninstall -y -qq redis-server');
      // Root needs no sudo; a user goes through `sudo -n`, which never waits for a password.
      expect(machine.calls('sudo')).toBe(sudo);
      // The stand-in refuses the install: the failure says what to do by hand, and where the log is.
      expect(code).toBe(1);
      expect(lastLine(stderr)).toBe(
        `[bootstrap] error: could not install redis-server with apt-get (see ${machine.tools}/apt.log); install it by hand: sudo apt-get install redis-server`,
      );
      expect(existsSync(join(machine.tools, 'apt.log'))).toBe(true);
    },
  );

  it('when run on macOS, then it stops at once with one line saying the bootstrap is for Linux', async () => {
    const machine = machineWithout(dir, [], {
      uname: '[ "$1" = -m ] && echo arm64 || echo Darwin',
    });
    const { code, stderr } = await runBootstrap(machine);
    expect(code).toBe(1);
    expect(lastLine(stderr)).toBe(
      '[bootstrap] error: this bootstrap supports Linux on x64 or arm64 only, not Darwin arm64; on macOS or Windows run the project in a Linux VM or container',
    );
    expect(machine.calls('apt-get')).toBe('');
  });
});
