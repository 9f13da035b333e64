import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { ExitCode } from '../src/errors.ts';
import { fakeClock, runCliForTest, targetArgs } from './cli-harness.ts';
import { givenCopilotCluster } from './mock-ecs.ts';

// What moto cannot model for `run`: a container's non-zero exit, a task that never ran, one that
// outlives the wait, RunTask's placement failures, a capacity-provider service. The request
// itself is checked against moto too (moto-ecs.test.ts).
const ARN = 'arn:aws:ecs:eu-west-1:123456789012';
const CLUSTER = `${ARN}:cluster/shop-prod-Cluster-AbC`;
const SERVICE = `${ARN}:service/shop-prod-Cluster-AbC/shop-prod-consumer-Service-XyZ`;
const TD = `${ARN}:task-definition/shop-prod-consumer:7`;
const TASK = `${ARN}:task/shop-prod-Cluster-AbC/0123abcd`;
const TAGS = [
  { key: 'copilot-application', value: 'shop' },
  { key: 'copilot-environment', value: 'prod' },
  { key: 'copilot-service', value: 'consumer' },
];
const REBUILD = ['node', 'dist/rebuild/cli.js', '--drop-previous'];
const RUN = ['run', ...targetArgs('shop', 'prod', 'consumer'), '--', ...REBUILD];
const NETWORK = {
  awsvpcConfiguration: {
    subnets: ['subnet-a', 'subnet-b'],
    securityGroups: ['sg-1'],
    assignPublicIp: 'DISABLED' as const,
  },
};

const ecsMock = mockClient(ECSClient);
const ecs = ecsMock as unknown as ECSClient;

/** The consumer service on TD; DescribeTasks answers the next of `states` (the last repeats). */
function givenConsumer({
  states,
  service = {},
}: {
  states: (Task | undefined)[];
  service?: Partial<Service>;
}) {
  givenCopilotCluster(ecsMock, {
    clusterArn: CLUSTER,
    environmentTags: TAGS.slice(0, 2),
    serviceArns: [SERVICE],
  });
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE,
        serviceName: 'shop-prod-consumer-Service-XyZ',
        tags: TAGS,
        taskDefinition: TD,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        networkConfiguration: NETWORK,
        ...service,
      },
    ],
  });
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      family: 'shop-prod-consumer',
      revision: 7,
      taskDefinitionArn: TD,
      networkMode: 'awsvpc',
      containerDefinitions: [
        {
          name: 'consumer',
          image: 'repo/consumer:v7',
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': '/copilot/shop-prod-consumer',
              'awslogs-stream-prefix': 'copilot',
            },
          },
        },
        { name: 'adot-collector', image: 'otel/collector' },
      ],
    },
  });
  ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING' }] });
  let polls = 0;
  ecsMock.on(DescribeTasksCommand).callsFake(() => {
    const state = states[Math.min(polls++, states.length - 1)];
    return state ? { tasks: [state] } : { tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] };
  });
}

const running: Task = { taskArn: TASK, lastStatus: 'RUNNING' };
function stoppedWith(overrides: Partial<Task>): Task {
  return { taskArn: TASK, lastStatus: 'STOPPED', ...overrides };
}

beforeEach(() => ecsMock.reset());

describe('run: a one-off task of a service', () => {
  it('when the task is started, then it runs the service task definition in its network with only the command replaced', async () => {
    givenConsumer({
      states: [
        stoppedWith({
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'consumer', exitCode: 0 }],
        }),
      ],
    });

    const result = await runCliForTest(ecs, RUN);

    expect(result.err).toBe('');
    expect(result.exitCode).toBe(ExitCode.ok);
    expect(ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      taskDefinition: TD,
      count: 1,
      startedBy: 'ecs-rollout/run',
      networkConfiguration: NETWORK,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      overrides: { containerOverrides: [{ name: 'consumer', command: REBUILD }] },
      propagateTags: 'TASK_DEFINITION',
      enableExecuteCommand: false,
    });
    expect(result.out).toContain(
      'started task 0123abcd of shop-prod-consumer:7 in shop-prod-Cluster-AbC, container consumer running: node dist/rebuild/cli.js --drop-previous',
    );
    expect(result.out).toContain(
      'its logs: CloudWatch log group /copilot/shop-prod-consumer, stream copilot/consumer/0123abcd',
    );
    expect(result.out).toContain('task 0123abcd: consumer exited 0');
  });

  it('when the service runs on capacity providers, then the task gets its strategy and no launch type', async () => {
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    givenConsumer({
      service: { launchType: undefined, capacityProviderStrategy: strategy },
      states: [stoppedWith({ containers: [{ name: 'consumer', exitCode: 0 }] })],
    });

    expect((await runCliForTest(ecs, RUN)).exitCode).toBe(ExitCode.ok);

    const input = ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input;
    expect(input?.capacityProviderStrategy).toEqual(strategy);
    expect(input).not.toHaveProperty('launchType');
  });

  it('when the command exits non-zero, then it exits 1 and prints the exit code and why the task stopped', async () => {
    givenConsumer({
      states: [
        undefined, // not described yet, just after RunTask
        running,
        stoppedWith({
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          containers: [
            { name: 'consumer', exitCode: 1 },
            { name: 'adot-collector', exitCode: 143 },
          ],
        }),
      ],
    });

    const result = await runCliForTest(ecs, RUN);

    expect(result.exitCode).toBe(ExitCode.rolloutFailed);
    expect(result.out).toContain('task 0123abcd: RUNNING');
    expect(result.out).toContain(
      'task 0123abcd: consumer exited 1; Essential container in task exited; consumer: exit 1; adot-collector: exit 143',
    );
  });

  it('when the task stops before its container ran, then it exits 1 with the reason', async () => {
    givenConsumer({
      states: [
        stoppedWith({
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'ResourceInitializationError: unable to pull secrets or registry auth',
          containers: [{ name: 'consumer' }],
        }),
      ],
    });

    const result = await runCliForTest(ecs, RUN);

    expect(result.exitCode).toBe(ExitCode.rolloutFailed);
    expect(result.out).toContain(
      'consumer did not exit by itself; ResourceInitializationError: unable to pull secrets or registry auth',
    );
  });

  it('when the task outlives --timeout, then it exits 4, leaves it running and says how to stop it', async () => {
    givenConsumer({ states: [running] });
    const clock = fakeClock();

    const result = await runCliForTest(
      ecs,
      [...RUN.slice(0, 7), '--timeout', '60', '--poll', '25', '--', ...REBUILD],
      clock,
    );

    expect(result.exitCode).toBe(ExitCode.timedOut);
    expect(result.err).toContain(
      `task 0123abcd did not stop within 60 s: it is still RUNNING; it was left running. Stop it with: aws ecs stop-task --cluster shop-prod-Cluster-AbC --task ${TASK}`,
    );
    // The last pause is what is left of the timeout, not a whole --poll.
    expect(clock.slept).toEqual([25_000, 25_000, 10_000]);
  });

  it('when a poll fails, then it says so once and goes on reading the task until it stopped', async () => {
    givenConsumer({ states: [running] });
    const expired = Object.assign(
      new Error('The security token included in the request is expired'),
      {
        name: 'ExpiredTokenException',
      },
    );
    ecsMock
      .on(DescribeTasksCommand)
      .rejectsOnce(expired)
      .rejectsOnce(expired)
      .resolvesOnce({ tasks: [running] })
      .resolves({ tasks: [stoppedWith({ containers: [{ name: 'consumer', exitCode: 0 }] })] });

    const result = await runCliForTest(ecs, RUN);

    expect(result.exitCode).toBe(ExitCode.ok);
    const failures = result.out.split('\n').filter((line) => line.includes('ExpiredToken'));
    expect(failures).toEqual([
      'task 0123abcd: ecs:DescribeTasks failed: ExpiredTokenException: The security token included in the request is expired; trying again until the timeout',
    ]);
    expect(result.out).toContain('task 0123abcd: consumer exited 0');
  });

  it('when every poll fails until the timeout, then it exits 4 and says the task may still run', async () => {
    givenConsumer({ states: [running] });
    ecsMock
      .on(DescribeTasksCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    const result = await runCliForTest(ecs, [...RUN.slice(0, 7), '--timeout', '30', '--', 'true']);

    expect(result.exitCode).toBe(ExitCode.timedOut);
    expect(result.err).toContain(
      'task 0123abcd did not stop within 30 s: its state could not be read (ecs:DescribeTasks failed: AccessDeniedException: denied); it may still be running. Stop it with: aws ecs stop-task',
    );
  });

  it('when the task stays unknown to ECS for 3 minutes, then it exits 3 with the reason ECS gives', async () => {
    givenConsumer({ states: [undefined] });
    const clock = fakeClock();

    const result = await runCliForTest(ecs, RUN, clock);

    expect(result.exitCode).toBe(ExitCode.notFound);
    expect(result.err).toContain(
      'task 0123abcd is not found in shop-prod-Cluster-AbC (MISSING) 180 s after it was started',
    );
    // Found missing at the first poll (10 s), given up at the poll 180 s later.
    expect(clock.slept).toHaveLength(19);
  });

  it('when --no-wait is given, then it exits 0 once the task is started, without waiting', async () => {
    givenConsumer({ states: [running] });

    const result = await runCliForTest(ecs, [...RUN.slice(0, 7), '--no-wait', '--', ...REBUILD]);

    expect(result.exitCode).toBe(ExitCode.ok);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it('when ECS places no task, then it exits 5 with the failure', async () => {
    givenConsumer({ states: [running] });
    ecsMock.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [{ reason: 'RESOURCE:ENI', detail: 'no free addresses in subnet-a' }],
    });

    const result = await runCliForTest(ecs, RUN);

    expect(result.exitCode).toBe(ExitCode.awsError);
    expect(result.err).toContain(
      'ecs:RunTask started no task: RESOURCE:ENI (no free addresses in subnet-a)',
    );
  });

  it('when the container or the network is missing, then it exits 3 and runs nothing', async () => {
    givenConsumer({ states: [running] });
    const noContainer = await runCliForTest(ecs, [
      ...RUN.slice(0, 7),
      '--container',
      'worker',
      '--',
      'true',
    ]);
    givenConsumer({ states: [running], service: { networkConfiguration: undefined } });
    const noNetwork = await runCliForTest(ecs, RUN);

    expect(noContainer.exitCode).toBe(ExitCode.notFound);
    expect(noContainer.err).toContain(
      'task definition shop-prod-consumer:7 has no container named worker (containers: consumer, adot-collector); pass --container',
    );
    expect(noNetwork.exitCode).toBe(ExitCode.notFound);
    expect(noNetwork.err).toContain(
      'service shop-prod-consumer-Service-XyZ has no network configuration to run its task in',
    );
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it.each([
    [['run', ...targetArgs('shop', 'prod', 'consumer')], 'missing the command to run after --'],
    [
      ['run', ...targetArgs('shop', 'prod', 'consumer'), '--'],
      'missing the command to run after --',
    ],
    [['run', ...targetArgs('shop', 'prod'), '--', 'true'], 'missing --service'],
    [['status', ...targetArgs('shop', 'prod'), '--', 'true'], 'only run takes a command after --'],
    [
      ['run', ...targetArgs('shop', 'prod', 'consumer'), '--image', 'x', '--', 'true'],
      'run does not take --image',
    ],
    [
      ['run', ...targetArgs('shop', 'prod', 'consumer'), '--no-wait', '--poll', '9', '--', 'true'],
      '--no-wait does not go with --timeout or --poll',
    ],
  ])('when called as %j, then it exits 2 and calls no AWS API', async (argv, message) => {
    const result = await runCliForTest(ecs, argv);

    expect(result.exitCode).toBe(ExitCode.usage);
    expect(result.err).toContain(message);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('when the command has its own flags, then they reach the container as they are', async () => {
    givenConsumer({ states: [stoppedWith({ containers: [{ name: 'consumer', exitCode: 0 }] })] });
    const command = ['node', 'dist/rebuild/cli.js', '--timeout', '5', '--help', '--', 'x'];

    const result = await runCliForTest(ecs, [...RUN.slice(0, 7), '--', ...command]);

    expect(result.exitCode).toBe(ExitCode.ok);
    expect(ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input.overrides).toEqual({
      containerOverrides: [{ name: 'consumer', command }],
    });
  });
});
