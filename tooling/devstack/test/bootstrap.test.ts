import {
  chmodSync,
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
// command on the test's PATH but those, plus stand-ins that record how they were called.

const bootstrap = join(repoRoot(), 'scripts', 'bootstrap.sh');

interface Machine {
  bin: string;
  /** What the stand-in apt-get was asked, one call per line ('' when never called). */
  aptCalls(): string;
}

function machineWithout(
  dir: string,
  missing: string[],
  standIns: Record<string, string> = {},
): Machine {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const aptLog = join(dir, 'apt-get.calls');
  const scripts: Record<string, string> = {
    // Refreshing the lists works; installing fails, as on a machine without the registry.
    'apt-get': `echo "$*" >> '${aptLog}'; [ "$1" = update ]`,
    ...standIns,
  };
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const skip = new Set([...missing, ...Object.keys(scripts)]);
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
    aptCalls: () => (existsSync(aptLog) ? readFileSync(aptLog, 'utf8').trim() : ''),
  };
}

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
    expect(machine.aptCalls()).toBe('');
  });

  it("when redis-server is missing and no Redis answers, then it installs Debian's redis-server with apt-get", async () => {
    const machine = machineWithout(dir, ['redis-server']);
    const { code, stderr } = await runBootstrap(machine);
    expect(machine.aptCalls()).toBe('update -qq\ninstall -y -qq redis-server');
    // The stand-in refuses the install: the failure says what to do by hand.
    expect(code).toBe(1);
    expect(lastLine(stderr)).toBe(
      '[bootstrap] error: could not install redis-server with apt-get (see .tools/apt.log); install it by hand: sudo apt-get install redis-server',
    );
  });

  it('when run on macOS, then it stops at once with one line saying the bootstrap is for Linux', async () => {
    const machine = machineWithout(dir, [], {
      uname: '[ "$1" = -m ] && echo arm64 || echo Darwin',
    });
    const { code, stderr } = await runBootstrap(machine);
    expect(code).toBe(1);
    expect(lastLine(stderr)).toBe(
      '[bootstrap] error: this bootstrap supports Linux on x64 or arm64 only, not Darwin arm64; on macOS or Windows run the project in a Linux VM or container',
    );
    expect(machine.aptCalls()).toBe('');
  });
});
