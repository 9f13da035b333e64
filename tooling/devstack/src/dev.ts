// `pnpm dev`: the local stack plus both services from their TypeScript sources (node --watch
// restarts one when its code changes), with their JSON logs made readable and interleaved.
// Ctrl-C stops the services, and the stack too when this command is what started it.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { prettyFactory } from 'pino-pretty';
import { StackError } from './errors.ts';
import { repoRoot } from './paths.ts';
import { stackDown, stackUp } from './stack.ts';

const SERVICES = [
  { name: 'producer', color: '\u001b[36m' },
  { name: 'consumer', color: '\u001b[35m' },
] as const;
const RESET = '\u001b[0m';
const STOP_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[dev] ${line}`);
  const stack = await stackUp({ log });
  log(`stack ready: KAFKA_BROKERS=${stack.kafkaBrokers} REDIS_URL=${stack.redisUrl}`);

  const pretty = prettyFactory({
    colorize: process.stdout.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  const children = SERVICES.map(({ name, color }) => {
    const child = spawn(
      process.execPath,
      ['--watch', '--conditions=kafka-ecs-source', 'src/main.ts'],
      {
        cwd: join(repoRoot(), 'services', name),
        env: { ...process.env, KAFKA_BROKERS: stack.kafkaBrokers, REDIS_URL: stack.redisUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const prefix = `${color}${name.padEnd(8)}${RESET} | `;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        // pino lines are JSON; anything else (node --watch notices, a crash) passes through.
        const text = line.startsWith('{') ? pretty(line).trimEnd() : line;
        process.stdout.write(`${prefix}${text}\n`);
      });
    }
    child.once('exit', (code, signal) => log(`${name} exited (${signal ?? code})`));
    return child;
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping the services');
    await Promise.all(children.map((child) => stopChild(child)));
    if (stack.started.kafka || stack.started.redis) {
      log('stopping the stack this command started');
      await stackDown();
    }
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof StackError ? `[dev] error: ${error.message}` : error);
  process.exit(1);
});
