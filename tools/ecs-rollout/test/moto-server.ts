import { type ChildProcess, spawn } from 'node:child_process';
import { ECSClient } from '@aws-sdk/client-ecs';
import { freePort, waitFor } from '@kafka-ecs/testing';

const MOTO_SERVER = `${import.meta.dirname}/../../../.tools/venv/bin/moto_server`;

export interface MotoServer {
  endpoint: string;
  /** An ECS client pointed at this server with dummy credentials. */
  ecsClient(): ECSClient;
  /** Subnets and a security group of the default VPC moto makes, for awsvpc tasks. */
  defaultNetwork(): Promise<{ subnets: string[]; securityGroups: string[] }>;
  /**
   * Tasks move one lifecycle step per read (RUNNING, …, STOPPED) instead of staying RUNNING,
   * for the whole server, until the returned function puts moto's default back.
   */
  tasksStopByThemselves(): Promise<() => Promise<void>>;
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
        return (await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(5_000) })).ok;
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
    async defaultNetwork() {
      const ec2 = async (action: string, element: string) => {
        // moto serves EC2's query API on the same port, told apart by the signature's scope.
        const response = await fetch(endpoint, {
          method: 'POST',
          signal: AbortSignal.timeout(10_000),
          headers: {
            authorization:
              'AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `Action=${action}&Version=2016-11-15`,
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`moto ec2 ${action}: ${response.status} ${text}`);
        return [...text.matchAll(new RegExp(`<${element}>([^<]+)</${element}>`, 'g'))].map(
          (match) => match[1] as string,
        );
      };
      return {
        subnets: (await ec2('DescribeSubnets', 'subnetId')).slice(0, 2),
        securityGroups: (await ec2('DescribeSecurityGroups', 'groupId')).slice(0, 1),
      };
    },
    async tasksStopByThemselves() {
      const response = await fetch(`${endpoint}/moto-api/state-manager/set-transition`, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
        body: JSON.stringify({
          model_name: 'ecs::task',
          transition: { progression: 'manual', times: 1 },
        }),
      });
      if (!response.ok) throw new Error(`moto state manager: ${response.status}`);
      return async () => {
        const unset = await fetch(`${endpoint}/moto-api/state-manager/unset-transition`, {
          method: 'POST',
          signal: AbortSignal.timeout(10_000),
          body: JSON.stringify({ model_name: 'ecs::task' }),
        });
        if (!unset.ok) throw new Error(`moto state manager: ${unset.status}`);
      };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
