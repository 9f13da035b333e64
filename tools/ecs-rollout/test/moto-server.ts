import { type ChildProcess, spawn } from 'node:child_process';
import { ECSClient } from '@aws-sdk/client-ecs';
import { freePort, waitFor } from '@kafka-ecs/testing';

const MOTO_SERVER = `${import.meta.dirname}/../../../.tools/venv/bin/moto_server`;

export interface MotoServer {
  endpoint: string;
  /** An ECS client pointed at this server with dummy credentials. */
  ecsClient(): ECSClient;
  stop(): Promise<void>;
}

/**
 * Starts moto's AWS API emulator on loopback on a free port and waits until it answers.
 * `env` reaches the server: MOTO_ECS_SERVICE_RUNNING=N makes new services report N running tasks.
 */
export async function startMotoServer(env: Record<string, string> = {}): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`moto_server exited: ${output.join('')}`);
        return (await fetch(`${endpoint}/moto-api/`)).ok;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `moto_server on ${endpoint}` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    ecsClient: () =>
      new ECSClient({
        endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        maxAttempts: 1,
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
