import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { uniqueName } from '@kafka-ecs/testing';
import { ExitCode } from '../src/errors.ts';
import { runCliForTest, targetArgs } from './cli-harness.ts';
import { createCopilotEnvironment } from './copilot-fixture.ts';
import { type MotoServer, startMotoServer } from './moto-server.ts';

// Against moto's ECS emulator: real SDK calls over HTTP for what moto models (tags, clusters,
// services, task-definition revisions, UpdateService). Moto does not run tasks or move
// deployments on, so the rollout wait itself is tested with aws-sdk-client-mock (rollout.test.ts).
describe('ecs-rollout against the moto ECS emulator', () => {
  let moto: MotoServer;
  let ecs: ECSClient;

  beforeAll(async () => {
    // Services report their desired count as running, so their deployment is COMPLETED.
    moto = await startMotoServer({ MOTO_ECS_SERVICE_RUNNING: '2' });
    ecs = moto.ecsClient();
  }, 60_000);

  afterAll(async () => {
    ecs?.destroy();
    await moto?.stop();
  });

  /** The CLI as a process (src/main.ts), configured the SDK's usual way to reach moto. */
  function runMain(args: string[]) {
    return promisify(execFile)(
      process.execPath,
      ['--conditions=kafka-ecs-source', `${import.meta.dirname}/../src/main.ts`, ...args],
      {
        env: {
          PATH: process.env.PATH,
          AWS_ENDPOINT_URL_ECS: moto.endpoint,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
        },
        timeout: 20_000,
      },
    );
  }

  /** `deploy` of the producer in the app's test environment, with `flags`. */
  const deployProducer = (app: string, ...flags: string[]) =>
    runCliForTest(ecs, ['deploy', ...targetArgs(app, 'test', 'producer'), ...flags]);

  async function copilotApp() {
    const app = uniqueName('shop').toLowerCase();
    const created = await createCopilotEnvironment(ecs, {
      app,
      env: 'test',
      services: [
        { name: 'producer', port: 9001, desiredCount: 2 },
        { name: 'consumer', port: 9000, desiredCount: 2 },
      ],
    });
    // Another environment of the same app, which status must not mix in.
    await createCopilotEnvironment(ecs, {
      app,
      env: 'prod',
      services: [{ name: 'producer', port: 9001, desiredCount: 2 }],
    });
    return { app, ...created };
  }

  it('when an environment exists, then status finds its cluster and services by Copilot tags and shows counts and deployments', async () => {
    const { app, clusterName, serviceNames } = await copilotApp();

    const { exitCode, out, err } = await runCliForTest(ecs, ['status', ...targetArgs(app, 'test')]);

    expect(err).toBe('');
    expect(exitCode).toBe(ExitCode.ok);
    expect(out).toContain(`app ${app}, env test, cluster ${clusterName}`);
    expect(out).toContain(
      `consumer (${serviceNames.consumer}): desired 2, running 2, pending 0, task definition ${app}-test-consumer:1`,
    );
    expect(out).toContain(`producer (${serviceNames.producer}): desired 2`);
    expect(out).toMatch(/PRIMARY .*-test-producer:1 COMPLETED: running 2\/2, pending 0, failed 0/);
    expect(out).not.toContain(`${app}-prod-`);
  });

  it('when status is asked for JSON, then each service carries its revision and the one it last finished rolling out', async () => {
    const { app, serviceNames } = await copilotApp();

    const { exitCode, out, err } = await runCliForTest(ecs, [
      'status',
      ...targetArgs(app, 'test'),
      '--service',
      'producer',
      '--json',
    ]);

    expect(err).toBe('');
    expect(exitCode).toBe(ExitCode.ok);
    const status = JSON.parse(out) as { services: Record<string, unknown>[] };
    expect(status.services).toEqual([
      expect.objectContaining({
        name: 'producer',
        ecsName: serviceNames.producer,
        desiredCount: 2,
        revision: 1,
        stableRevision: 1,
      }),
    ]);
  });

  it('when no cluster carries the app and env tags, then status exits with "not found" and one clear line', async () => {
    const { exitCode, err } = await runCliForTest(ecs, [
      'status',
      ...targetArgs('no-such-app', 'test'),
    ]);

    expect(exitCode).toBe(ExitCode.notFound);
    expect(err).toMatch(
      /^error: no ECS cluster tagged copilot-application=no-such-app, copilot-environment=test/,
    );
  });

  it('when deploying an image, then a revision that differs only by the image is registered and the service runs it', async () => {
    const { app, clusterName, serviceNames } = await copilotApp();
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${app}/producer:v2`;

    const { exitCode, out, err } = await deployProducer(app, '--image', image, '--no-wait');

    expect(err).toBe('');
    expect(exitCode).toBe(ExitCode.ok);
    expect(out).toContain(
      `registered ${app}-test-producer:2 (from ${app}-test-producer:1) with image ${image}`,
    );
    const described = await ecs.send(
      new DescribeServicesCommand({
        cluster: clusterName,
        services: [serviceNames.producer as string],
      }),
    );
    expect(described.services?.[0]?.taskDefinition).toMatch(
      /:task-definition\/.*-test-producer:2$/,
    );
    const [before, after] = await Promise.all(
      [1, 2].map((revision) =>
        ecs.send(
          new DescribeTaskDefinitionCommand({
            taskDefinition: `${app}-test-producer:${revision}`,
            include: ['TAGS'],
          }),
        ),
      ),
    );
    const [oldContainer] = before?.taskDefinition?.containerDefinitions ?? [];
    const [newContainer] = after?.taskDefinition?.containerDefinitions ?? [];
    expect(newContainer?.image).toBe(image);
    expect({ ...newContainer, image: oldContainer?.image }).toEqual(oldContainer);
    expect(after?.taskDefinition?.taskRoleArn).toBe(before?.taskDefinition?.taskRoleArn);
    expect(after?.taskDefinition?.executionRoleArn).toBe(before?.taskDefinition?.executionRoleArn);
    expect(after?.tags).toEqual(before?.tags);
  });

  it('when rolling back after a deploy, then the service points at the previous revision again', async () => {
    const { app, clusterName, serviceNames } = await copilotApp();
    const base = [...targetArgs(app, 'test', 'consumer'), '--no-wait'];
    expect(
      (await runCliForTest(ecs, ['deploy', ...base, '--image', 'repo/consumer:v2'])).exitCode,
    ).toBe(0);

    const { exitCode, out } = await runCliForTest(ecs, ['deploy', ...base, '--rollback']);

    expect(exitCode).toBe(ExitCode.ok);
    expect(out).toContain(
      `rolling consumer back from ${app}-test-consumer:2 to ${app}-test-consumer:1`,
    );
    const described = await ecs.send(
      new DescribeServicesCommand({
        cluster: clusterName,
        services: [serviceNames.consumer as string],
      }),
    );
    expect(described.services?.[0]?.taskDefinition).toMatch(/-test-consumer:1$/);
  });

  it('when the service has no earlier revision, then rollback exits with "not found"', async () => {
    const { app } = await copilotApp();

    const { exitCode, err } = await deployProducer(app, '--rollback');

    expect(exitCode).toBe(ExitCode.notFound);
    expect(err).toContain(
      `no ACTIVE revision of ${app}-test-producer older than 1 to roll back to`,
    );
  });

  it('when the container name does not exist, then deploy exits with "not found" and names the containers', async () => {
    const { app } = await copilotApp();

    const { exitCode, err } = await deployProducer(app, '--image', 'x:1', '--container', 'web');

    expect(exitCode).toBe(ExitCode.notFound);
    expect(err).toContain('has no container named web (containers: producer)');
  });

  it('when run starts a one-off task, then it is the service task definition in its subnets with the command replaced, and it waits for its stop', async () => {
    const app = uniqueName('shop').toLowerCase();
    const network = await moto.defaultNetwork();
    const { clusterName } = await createCopilotEnvironment(ecs, {
      app,
      env: 'prod',
      services: [{ name: 'consumer', port: 9000, desiredCount: 1 }],
      network,
    });
    const command = ['node', 'dist/rebuild/cli.js', '--drop-previous'];

    const tasksRunOn = await moto.tasksStopByThemselves();
    const { exitCode, out, err } = await runCliForTest(ecs, [
      'run',
      ...targetArgs(app, 'prod', 'consumer'),
      '--',
      ...command,
    ]).finally(tasksRunOn);

    expect(err).toBe('');
    expect(exitCode).toBe(ExitCode.ok);
    expect(out).toContain('consumer exited 0');
    const listed = await ecs.send(
      new ListTasksCommand({ cluster: clusterName, startedBy: 'ecs-rollout/run' }),
    );
    expect(listed.taskArns).toHaveLength(1);
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: clusterName, tasks: listed.taskArns }),
    );
    const [task] = described.tasks ?? [];
    expect(task?.taskDefinitionArn).toMatch(new RegExp(`:task-definition/${app}-prod-consumer:1$`));
    expect(task?.lastStatus).toBe('STOPPED');
    expect(task?.overrides?.containerOverrides).toEqual([{ name: 'consumer', command }]);
    const subnet = task?.attachments?.[0]?.details?.find((detail) => detail.name === 'subnetId');
    expect(subnet?.value).toBe(network.subnets[0]);
  });

  it('when run as a process with the SDK usual settings, then status reaches the endpoint from AWS_ENDPOINT_URL_ECS', async () => {
    const { app } = await copilotApp();

    const { stdout } = await runMain(['status', ...targetArgs(app, 'test')]);

    expect(stdout).toContain(`app ${app}, env test, cluster ${app}-test-Cluster-AbCdEf123`);
  });

  it('when run as a process and the app does not exist, then it exits 3', async () => {
    const result = await runMain(['status', ...targetArgs('nope', 'test')]).catch(
      (error: { code?: number; stderr?: string }) => error,
    );

    expect(result).toMatchObject({ code: ExitCode.notFound });
    expect((result as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });
});
