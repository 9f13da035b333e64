import {
  type Deployment,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clock } from '../src/clock.ts';
import { ExitCode } from '../src/errors.ts';
import { stableRevision } from '../src/status.ts';
import { fakeClock, runCliForTest, targetArgs } from './cli-harness.ts';
import { givenCopilotCluster } from './mock-ecs.ts';

// What moto cannot model: deployments that move on over time, the circuit breaker rolling a
// deployment back, stopped tasks with reasons, and throttling.
const ARN = 'arn:aws:ecs:eu-west-1:123456789012';
const CLUSTER = `${ARN}:cluster/shop-test-Cluster-AbC`;
const SERVICE = `${ARN}:service/shop-test-Cluster-AbC/shop-test-producer-Service-XyZ`;
const TD_OLD = `${ARN}:task-definition/shop-test-producer:3`;
const TD_NEW = `${ARN}:task-definition/shop-test-producer:4`;
const TAGS = [
  { key: 'copilot-application', value: 'shop' },
  { key: 'copilot-environment', value: 'test' },
  { key: 'copilot-service', value: 'producer' },
];
const PRODUCER = targetArgs('shop', 'test', 'producer');
const DEPLOY = ['deploy', ...PRODUCER, '--image', 'repo/producer:v4'];

const ecsMock = mockClient(ECSClient);
// The mock stands in for the client the CLI is given.
const ecs = ecsMock as unknown as ECSClient;

function deployment(overrides: Partial<Deployment>): Deployment {
  return {
    id: 'ecs-svc/1',
    status: 'PRIMARY',
    taskDefinition: TD_NEW,
    desiredCount: 2,
    runningCount: 0,
    pendingCount: 2,
    failedTasks: 0,
    rolloutState: 'IN_PROGRESS',
    ...overrides,
  };
}

function task(id: string, taskDefinitionArn: string, overrides: Partial<Task> = {}): Task {
  return {
    taskArn: `${ARN}:task/shop-test-Cluster-AbC/${id}`,
    taskDefinitionArn,
    lastStatus: 'RUNNING',
    ...overrides,
  };
}

/**
 * A Copilot environment with one service on TD_OLD. After UpdateService, each DescribeServices
 * call returns the next of `rollout` (the last one repeats).
 */
function givenService({
  rollout,
  running = [task('a', TD_NEW), task('b', TD_NEW)],
  stopped = [],
}: {
  rollout: Deployment[][];
  running?: Task[];
  stopped?: Task[];
}) {
  givenCopilotCluster(ecsMock, {
    clusterArn: CLUSTER,
    environmentTags: TAGS.slice(0, 2),
    serviceArns: [SERVICE],
  });
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      family: 'shop-test-producer',
      revision: 3,
      taskDefinitionArn: TD_OLD,
      containerDefinitions: [{ name: 'producer', image: 'repo/producer:v3' }],
    },
    tags: [],
  });
  ecsMock
    .on(RegisterTaskDefinitionCommand)
    .resolves({ taskDefinition: { taskDefinitionArn: TD_NEW } });
  let updated = false;
  let polls = 0;
  ecsMock.on(UpdateServiceCommand).callsFake(() => {
    updated = true;
    return {};
  });
  ecsMock.on(DescribeServicesCommand).callsFake(() => {
    const base = {
      serviceArn: SERVICE,
      serviceName: 'shop-test-producer-Service-XyZ',
      tags: TAGS,
      desiredCount: 2,
    };
    if (!updated) {
      const steady = deployment({
        taskDefinition: TD_OLD,
        rolloutState: 'COMPLETED',
        runningCount: 2,
        pendingCount: 0,
      });
      return { services: [{ ...base, taskDefinition: TD_OLD, deployments: [steady] }] };
    }
    const deployments = rollout[Math.min(polls++, rollout.length - 1)] ?? [];
    return { services: [{ ...base, taskDefinition: TD_NEW, deployments }] };
  });
  ecsMock
    .on(ListTasksCommand, { desiredStatus: 'RUNNING' })
    .resolves({ taskArns: running.map((t) => t.taskArn ?? '') });
  ecsMock
    .on(ListTasksCommand, { desiredStatus: 'STOPPED' })
    .resolves({ taskArns: stopped.map((t) => t.taskArn ?? '') });
  ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: [...running, ...stopped].filter((t) => input.tasks.includes(t.taskArn ?? '')),
  }));
}

const crashed = task('c', TD_NEW, {
  lastStatus: 'STOPPED',
  stoppedReason: 'Essential container in task exited',
  stoppedAt: new Date('2026-11-21T10:01:00Z'),
  containers: [{ name: 'producer', exitCode: 1, reason: undefined }],
});

beforeEach(() => ecsMock.reset());

/** Runs DEPLOY (with `flags`) and expects its exit code and each of `printed` in its output. */
async function expectDeploy(
  exitCode: number,
  printed: string[],
  { flags = [], clock = fakeClock() }: { flags?: string[]; clock?: Clock } = {},
): Promise<void> {
  const result = await runCliForTest(ecs, [...DEPLOY, ...flags], clock);
  expect(result.exitCode).toBe(exitCode);
  for (const text of printed) expect(result.out).toContain(text);
}

describe('deploy: waiting for the rollout', () => {
  it('when the primary deployment completes and every task runs the new revision, then it exits 0', async () => {
    givenService({
      rollout: [
        [deployment({}), deployment({ id: 'ecs-svc/0', status: 'ACTIVE', taskDefinition: TD_OLD })],
        [deployment({ runningCount: 1, pendingCount: 1 })],
        [deployment({ rolloutState: 'COMPLETED', runningCount: 2, pendingCount: 0 })],
      ],
    });

    await expectDeploy(ExitCode.ok, [
      'registered shop-test-producer:4 (from shop-test-producer:3) with image repo/producer:v4',
      'PRIMARY shop-test-producer:4 IN_PROGRESS: running 1/2, pending 1, failed 0',
      'rollout of shop-test-producer:4 completed: every running task uses it',
    ]);

    const registered = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.containerDefinitions).toEqual([
      { name: 'producer', image: 'repo/producer:v4' },
    ]);
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      service: 'shop-test-producer-Service-XyZ',
      taskDefinition: TD_NEW,
    });
  });

  it('when the circuit breaker rolls the deployment back, then it exits 1 and prints why the new tasks stopped', async () => {
    // The stable-services waiter would report success here: the service is steady, on :3.
    givenService({
      rollout: [
        [deployment({ failedTasks: 1 })],
        [
          deployment({
            id: 'ecs-svc/2',
            taskDefinition: TD_OLD,
            rolloutState: 'COMPLETED',
            runningCount: 2,
            pendingCount: 0,
            rolloutStateReason:
              'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0.',
          }),
        ],
      ],
      running: [task('a', TD_OLD), task('b', TD_OLD)],
      stopped: [crashed],
    });

    await expectDeploy(ExitCode.rolloutFailed, [
      'rollout rolled-back: the PRIMARY deployment runs shop-test-producer:3, not shop-test-producer:4: ECS rolled the deployment back (ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0.)',
      'task c (shop-test-producer:4) stopped: Essential container in task exited; producer: exit 1',
    ]);
  });

  it('when the rollout state turns FAILED, then it exits 1 with the reason', async () => {
    givenService({
      rollout: [
        [deployment({ rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start' })],
      ],
      stopped: [crashed],
    });

    await expectDeploy(ExitCode.rolloutFailed, [
      'rollout failed: the deployment of shop-test-producer:4 failed: tasks failed to start',
      'Essential container in task exited',
    ]);
  });

  it('when the deployment says COMPLETED while old tasks still run, then it keeps waiting until they are gone', async () => {
    const completed = deployment({ rolloutState: 'COMPLETED', runningCount: 2, pendingCount: 0 });
    givenService({ rollout: [[completed]], running: [task('a', TD_NEW), task('old', TD_OLD)] });
    let tasksCalls = 0;
    ecsMock.on(DescribeTasksCommand).callsFake(() => ({
      tasks:
        ++tasksCalls < 3
          ? [task('a', TD_NEW), task('old', TD_OLD)]
          : [task('a', TD_NEW), task('b', TD_NEW)],
    }));

    await expectDeploy(ExitCode.ok, [
      'rollout COMPLETED, waiting for tasks: 1 on shop-test-producer:4, 1 on older revisions',
    ]);
  });

  it('when the rollout never finishes, then it gives up after --timeout and exits 4', async () => {
    givenService({ rollout: [[deployment({})]], stopped: [crashed] });
    const clock = fakeClock();

    await expectDeploy(
      ExitCode.timedOut,
      [
        'rollout timed-out: the deployment of shop-test-producer:4 did not complete within 120 s',
        'task c (shop-test-producer:4) stopped',
      ],
      { flags: ['--timeout', '120', '--poll', '15'], clock },
    );
    expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBe(120_000);
  });
});

describe('throttling', () => {
  it('when AWS throttles some polls, then the wait retries them and the deploy still succeeds', async () => {
    givenService({
      rollout: [[deployment({ rolloutState: 'COMPLETED', runningCount: 2, pendingCount: 0 })]],
    });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    // The second and third DescribeServices calls (the first polls after UpdateService) fail.
    let calls = 0;
    ecsMock.on(DescribeServicesCommand).callsFake(() => {
      calls += 1;
      if (calls === 2 || calls === 3) throw throttled;
      const base = {
        serviceArn: SERVICE,
        serviceName: 'shop-test-producer-Service-XyZ',
        tags: TAGS,
      };
      return calls === 1
        ? {
            services: [
              {
                ...base,
                taskDefinition: TD_OLD,
                deployments: [deployment({ taskDefinition: TD_OLD })],
              },
            ],
          }
        : {
            services: [
              {
                ...base,
                taskDefinition: TD_NEW,
                deployments: [deployment({ rolloutState: 'COMPLETED', runningCount: 2 })],
              },
            ],
          };
    });
    const clock = fakeClock();

    await expectDeploy(ExitCode.ok, ['completed'], { clock });
    expect(clock.slept).toEqual([500, 1000]);
  });

  it('when AWS keeps throttling, then the command exits 5 with one line naming the call', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ecsMock.on(ListClustersCommand).rejects(throttled);

    const { exitCode, err } = await runCliForTest(ecs, ['status', ...targetArgs('shop', 'test')]);

    expect(exitCode).toBe(ExitCode.awsError);
    expect(err).toBe(
      'error: ecs:ListClusters failed: ThrottlingException: Rate exceeded (still throttled after 5 tries)',
    );
  });
});

describe('command line', () => {
  it.each([
    [['deploy', ...PRODUCER], 'missing --image'],
    [['status', '--app', 'shop'], 'missing --env'],
    [['launch'], 'unknown command: launch'],
    [['status', '--app', 'a', '--env', 'b', '--colour'], "Unknown option '--colour'"],
    [[...DEPLOY, '--timeout', 'soon'], '--timeout must be a positive number, got "soon"'],
    [[...DEPLOY, '--rollback'], '--rollback and --image do not go together'],
  ])('when called with %j, then it exits 2 and says what is wrong', async (argv, message) => {
    const { exitCode, err } = await runCliForTest(ecs, argv);

    expect(exitCode).toBe(ExitCode.usage);
    expect(err).toContain(message);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('when asked for help, then it prints the usage and exits 0', async () => {
    const { exitCode, out } = await runCliForTest(ecs, ['--help']);

    expect(exitCode).toBe(ExitCode.ok);
    expect(out).toContain('ecs-rollout deploy --app A --env E --service S --rollback');
  });
});

describe('wait: confirming what copilot svc deploy rolled out', () => {
  const WAIT = ['wait', ...PRODUCER, '--image-tag', 'abc123'];

  function givenCopilotDeployed(image: string) {
    givenService({ rollout: [] });
    const completed = deployment({ rolloutState: 'COMPLETED', runningCount: 2, pendingCount: 0 });
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn: SERVICE,
          serviceName: 'shop-test-producer-Service-XyZ',
          tags: TAGS,
          taskDefinition: TD_NEW,
          deployments: [completed],
        },
      ],
    });
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: TD_NEW,
        containerDefinitions: [{ name: 'producer', image }],
      },
    });
  }

  it('when the service runs the tagged image and the rollout completed, then it exits 0', async () => {
    givenCopilotDeployed('123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/producer:abc123');

    const { exitCode, out } = await runCliForTest(ecs, WAIT);

    expect(exitCode).toBe(ExitCode.ok);
    expect(out).toContain('rollout of shop-test-producer:4 completed');
  });

  it.each([
    ['is stable on another image (rolled back)', 'old999'],
    ['runs a tag that only starts with the given one', 'abc1234'],
  ])('when the service %s, then it exits 1 and says it is not the tag', async (_, tag) => {
    givenCopilotDeployed(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/producer:${tag}`);

    const { exitCode, out } = await runCliForTest(ecs, WAIT);

    expect(exitCode).toBe(ExitCode.rolloutFailed);
    expect(out).toContain('not tag abc123 (rolled back?)');
  });
});

describe('the revision a service last finished rolling out', () => {
  const td = (revision: number) =>
    `arn:aws:ecs:eu-west-1:1:task-definition/shop-test-producer:${revision}`;
  const primary = (revision: number, rolloutState?: string) => ({
    status: 'PRIMARY',
    taskDefinition: td(revision),
    ...(rolloutState ? { rolloutState } : {}),
  });
  const active = (revision: number, rolloutState: string) => ({
    status: 'ACTIVE',
    taskDefinition: td(revision),
    rolloutState,
  });

  it.each([
    {
      has: 'a rollout in progress over a completed one',
      deployments: [primary(8, 'IN_PROGRESS'), active(7, 'COMPLETED')],
      expected: 7,
    },
    { has: 'one completed deployment', deployments: [primary(7, 'COMPLETED')], expected: 7 },
    { has: 'one deployment without a rollout state', deployments: [primary(7)], expected: 7 },
    {
      has: 'two deployments, neither completed',
      deployments: [primary(8, 'IN_PROGRESS'), active(7, 'FAILED')],
      expected: undefined,
    },
  ])('when the service has $has, then it is $expected', ({ deployments, expected }) => {
    expect(stableRevision({ deployments: deployments as Deployment[] })).toBe(expected);
  });
});
