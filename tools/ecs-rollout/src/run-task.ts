import {
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type DescribeTasksCommandOutput,
  RunTaskCommand,
  type RunTaskCommandInput,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { awsCall } from './aws-call.ts';
import { findCopilotService } from './copilot-lookup.ts';
import { ExitCode, type ExitCodeValue, RolloutCliError } from './errors.ts';
import { describeStop, taskId } from './stopped-tasks.ts';
import { shortTaskDefinition } from './task-definition.ts';
import type { WaitDeps } from './wait-for-rollout.ts';

export interface RunTaskOptions {
  app: string;
  env: string;
  service: string;
  /** What the container runs instead of its image's CMD (the ENTRYPOINT, tini, stays). */
  command: string[];
  /** The container whose command is replaced. @defaultValue the Copilot service name */
  container?: string;
  /** Wait for the task to stop and report its exit code. @defaultValue true */
  wait?: boolean;
  /** @defaultValue 2 hours (a rebuild's own bound is 1 hour by default) */
  timeoutMs?: number;
  /** @defaultValue 10 s */
  pollIntervalMs?: number;
}

export interface RunTaskResult {
  exitCode: ExitCodeValue;
  taskArn: string;
  /** The container's own exit code, once the task stopped with one. */
  containerExitCode?: number;
}

/** Marks the tasks this tool starts, in the console and in `aws ecs list-tasks --started-by`. */
export const STARTED_BY = 'ecs-rollout/run';

/**
 * Runs `command` once in a new task of the service's current task definition: its image, roles,
 * environment and secrets, in its subnets and security groups, so an operator's one-off command
 * (a view rebuild, a re-drive) reaches what the service reaches without a shell in a live task
 * (ECS Exec is off in production). The other containers of the task definition (sidecars) run
 * alongside and stop with it: the service's container is essential.
 * Waits until the task stopped and succeeds only if that container exited 0. A task still running
 * at the timeout is left running (a rebuild cut off halfway would be worse), and the way to
 * stop it is printed.
 */
export async function runOneOffTask(
  deps: WaitDeps,
  options: RunTaskOptions,
): Promise<RunTaskResult> {
  const { ecs, clock, log } = deps;
  if (options.command.length === 0) {
    throw new RolloutCliError('the command to run is empty', ExitCode.usage);
  }
  const { environment, service } = await findCopilotService(deps, options);
  const cluster = environment.clusterArn;
  const containerName = options.container ?? options.service;
  const taskDefinitionArn = service.service.taskDefinition;
  if (!taskDefinitionArn) {
    throw new RolloutCliError(
      `service ${service.ecsName} has no task definition`,
      ExitCode.notFound,
    );
  }
  const described = await awsCall(
    'ecs:DescribeTaskDefinition',
    () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })),
    clock,
  );
  const containers = described.taskDefinition?.containerDefinitions ?? [];
  const container = containers.find((each) => each.name === containerName);
  if (!container) {
    const names = containers.map((each) => each.name).join(', ');
    throw new RolloutCliError(
      `task definition ${shortTaskDefinition(taskDefinitionArn)} has no container named ${containerName} (containers: ${names}); pass --container`,
      ExitCode.notFound,
    );
  }
  const awsvpc = described.taskDefinition?.networkMode === 'awsvpc';
  const input = runTaskInput(service.service, {
    cluster,
    taskDefinitionArn,
    containerName,
    command: options.command,
    awsvpc,
  });
  const started = await awsCall('ecs:RunTask', () => ecs.send(new RunTaskCommand(input)), clock);
  const task = started.tasks?.[0];
  if (!task?.taskArn) {
    const why = (started.failures ?? [])
      .map(
        (failure) =>
          `${failure.reason ?? 'no reason'}${failure.detail ? ` (${failure.detail})` : ''}`,
      )
      .join('; ');
    throw new RolloutCliError(
      `ecs:RunTask started no task: ${why || 'no failure given'}`,
      ExitCode.awsError,
    );
  }
  const taskArn = task.taskArn;
  const id = taskId(taskArn);
  log(
    `started task ${id} of ${shortTaskDefinition(taskDefinitionArn)} in ${environment.clusterName}, container ${containerName} running: ${options.command.join(' ')}`,
  );
  const logs = logLocation(container, id);
  if (logs) log(`its logs: ${logs}`);
  if (options.wait === false) return { exitCode: ExitCode.ok, taskArn };

  return waitForStop(deps, {
    cluster,
    clusterName: environment.clusterName,
    taskArn,
    containerName,
    status: task.lastStatus,
    timeoutMs: options.timeoutMs ?? 7_200_000,
    pollIntervalMs: options.pollIntervalMs ?? 10_000,
  });
}

/** How long a started task may stay unknown to DescribeTasks before the wait gives up on it. */
export const MISSING_LIMIT_MS = 180_000;

/**
 * Polls the task until it stopped. A poll that fails (an expired session, the network) is
 * reported and tried again until the deadline: the task runs on whatever the tool sees.
 */
async function waitForStop(
  { ecs, clock, log }: WaitDeps,
  target: {
    cluster: string;
    clusterName: string;
    taskArn: string;
    containerName: string;
    status: string | undefined;
    timeoutMs: number;
    pollIntervalMs: number;
  },
): Promise<RunTaskResult> {
  const { cluster, clusterName, taskArn, containerName, timeoutMs } = target;
  const id = taskId(taskArn);
  const deadline = clock.now() + timeoutMs;
  let lastStatus = target.status;
  let missingSince: number | undefined;
  let failure: string | undefined;
  for (;;) {
    const left = deadline - clock.now();
    if (left <= 0) {
      const state = failure
        ? `its state could not be read (${failure}); it may still be running`
        : `it is still ${lastStatus ?? 'starting'}; it was left running`;
      throw new RolloutCliError(
        `task ${id} did not stop within ${Math.round(timeoutMs / 1000)} s: ${state}. Stop it with: aws ecs stop-task --cluster ${clusterName} --task ${taskArn}`,
        ExitCode.timedOut,
      );
    }
    await clock.sleep(Math.min(target.pollIntervalMs, left));
    let described: DescribeTasksCommandOutput;
    try {
      described = await awsCall(
        'ecs:DescribeTasks',
        () => ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] })),
        clock,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== failure) log(`task ${id}: ${message}; trying again until the timeout`);
      failure = message;
      continue;
    }
    failure = undefined;
    const current = described.tasks?.find((each) => each.taskArn === taskArn);
    if (!current) {
      // Just after RunTask the task may not be described yet; for minutes, something is wrong.
      missingSince ??= clock.now();
      if (clock.now() - missingSince >= MISSING_LIMIT_MS) {
        const reason = described.failures?.map((each) => each.reason).join(', ') || 'no reason';
        throw new RolloutCliError(
          `task ${id} is not found in ${clusterName} (${reason}) ${Math.round((clock.now() - missingSince) / 1000)} s after it was started`,
          ExitCode.notFound,
        );
      }
      continue;
    }
    missingSince = undefined;
    if (current.lastStatus !== lastStatus) {
      lastStatus = current.lastStatus;
      log(`task ${id}: ${lastStatus ?? 'unknown'}`);
    }
    if (current.lastStatus === 'STOPPED') return stopped(current, containerName, log);
  }
}

/** RunTask's input: the service's task definition, network and capacity, one container's command. */
function runTaskInput(
  service: Service,
  {
    cluster,
    taskDefinitionArn,
    containerName,
    command,
    awsvpc,
  }: {
    cluster: string;
    taskDefinitionArn: string;
    containerName: string;
    command: string[];
    awsvpc: boolean;
  },
): RunTaskCommandInput {
  if (awsvpc && !service.networkConfiguration?.awsvpcConfiguration) {
    throw new RolloutCliError(
      `service ${service.serviceName} has no network configuration to run its task in`,
      ExitCode.notFound,
    );
  }
  const strategy = service.capacityProviderStrategy ?? [];
  return {
    cluster,
    taskDefinition: taskDefinitionArn,
    count: 1,
    startedBy: STARTED_BY,
    ...(awsvpc ? { networkConfiguration: service.networkConfiguration } : {}),
    // Neither (not Copilot's way): RunTask then uses the cluster's default strategy, as the
    // service does.
    ...(strategy.length > 0
      ? { capacityProviderStrategy: strategy }
      : { launchType: service.launchType }),
    ...(service.platformVersion ? { platformVersion: service.platformVersion } : {}),
    overrides: { containerOverrides: [{ name: containerName, command }] },
    // The task carries the service's Copilot tags, for cost and for finding it.
    propagateTags: 'TASK_DEFINITION',
    enableExecuteCommand: false,
  };
}

function stopped(task: Task, containerName: string, log: (line: string) => void): RunTaskResult {
  const taskArn = task.taskArn ?? '?';
  const container = task.containers?.find((each) => each.name === containerName);
  const containerExitCode = container?.exitCode;
  if (containerExitCode === 0) {
    log(`task ${taskId(taskArn)}: ${containerName} exited 0`);
    return { exitCode: ExitCode.ok, taskArn, containerExitCode };
  }
  // No exit code: the container never ran (image pull, secrets, capacity) or was killed.
  const outcome =
    containerExitCode === undefined
      ? `${containerName} did not exit by itself`
      : `${containerName} exited ${containerExitCode}`;
  log(`task ${taskId(taskArn)}: ${outcome}; ${describeStop(task)}`);
  return { exitCode: ExitCode.rolloutFailed, taskArn, containerExitCode };
}

/** Where the awslogs driver writes the container's output: `<prefix>/<container>/<task id>`. */
function logLocation(container: ContainerDefinition, id: string): string | undefined {
  const config = container.logConfiguration;
  if (config?.logDriver !== 'awslogs') return undefined;
  const group = config.options?.['awslogs-group'];
  const prefix = config.options?.['awslogs-stream-prefix'];
  if (!group) return undefined;
  return prefix
    ? `CloudWatch log group ${group}, stream ${prefix}/${container.name}/${id}`
    : `CloudWatch log group ${group}`;
}
