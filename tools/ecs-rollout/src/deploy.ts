import {
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { awsCall, listAll } from './aws-call.ts';
import { findCopilotService } from './copilot-lookup.ts';
import { ExitCode, type ExitCodeValue, RolloutCliError } from './errors.ts';
import { formatStoppedTask } from './stopped-tasks.ts';
import { familyOf, revisionOf, revisionWithImage, shortTaskDefinition } from './task-definition.ts';
import { type RolloutOutcome, type WaitDeps, waitForRollout } from './wait-for-rollout.ts';

interface TargetOptions {
  app: string;
  env: string;
  service: string;
  /** Skip the wait (the rollout goes on in ECS). @defaultValue true */
  wait?: boolean;
  timeoutMs?: number;
  pollIntervalMs?: number;
}

export interface DeployOptions extends TargetOptions {
  image: string;
  /** The container whose image changes. @defaultValue the Copilot service name */
  container?: string;
}

export interface RollbackOptions extends TargetOptions {
  /** Roll back to this revision of the family instead of the one before the current. */
  toRevision?: number;
}

export interface DeployResult {
  exitCode: ExitCodeValue;
  taskDefinitionArn: string;
  outcome?: RolloutOutcome;
}

/** Where a rollout happens: the service and the task definition it must end on. */
interface RolloutTarget {
  cluster: string;
  serviceName: string;
  taskDefinitionArn: string;
}

async function updateAndWait(
  deps: WaitDeps,
  target: RolloutTarget,
  options: TargetOptions,
): Promise<DeployResult> {
  const { ecs, clock, log } = deps;
  await awsCall(
    'ecs:UpdateService',
    () =>
      ecs.send(
        new UpdateServiceCommand({
          cluster: target.cluster,
          service: target.serviceName,
          taskDefinition: target.taskDefinitionArn,
        }),
      ),
    clock,
  );
  const revision = shortTaskDefinition(target.taskDefinitionArn);
  log(`updated ${options.service} in ${options.app}/${options.env} to ${revision}`);
  if (options.wait === false) {
    log('not waiting for the rollout (--no-wait); follow it with: ecs-rollout status');
    return { exitCode: ExitCode.ok, taskDefinitionArn: target.taskDefinitionArn };
  }
  log(`waiting for the rollout of ${revision}`);
  return waitAndReport(deps, target, options);
}

/** Waits for the rollout (see waitForRollout) and prints its outcome. */
async function waitAndReport(
  deps: WaitDeps,
  target: RolloutTarget,
  options: TargetOptions,
): Promise<DeployResult> {
  const { log } = deps;
  const { taskDefinitionArn } = target;
  const outcome = await waitForRollout(deps, {
    ...target,
    timeoutMs: options.timeoutMs,
    pollIntervalMs: options.pollIntervalMs,
  });
  const revision = shortTaskDefinition(taskDefinitionArn);
  if (outcome.result === 'completed') {
    log(`rollout of ${revision} completed: every running task uses it`);
    return { exitCode: ExitCode.ok, taskDefinitionArn, outcome };
  }
  log(`rollout ${outcome.result}: ${outcome.reason}`);
  if (outcome.stoppedTasks.length === 0) log('no stopped tasks of this revision were found');
  for (const task of outcome.stoppedTasks.slice(0, 10)) log(`  ${formatStoppedTask(task)}`);
  return {
    exitCode: outcome.result === 'timed-out' ? ExitCode.timedOut : ExitCode.rolloutFailed,
    taskDefinitionArn,
    outcome,
  };
}

/** The Copilot service and the task definition it runs now (an error when it has none). */
async function findRunningService(deps: WaitDeps, options: TargetOptions): Promise<RolloutTarget> {
  const { environment, service } = await findCopilotService(deps, options);
  const taskDefinitionArn = service.service.taskDefinition;
  if (!taskDefinitionArn) {
    throw new RolloutCliError(
      `service ${service.ecsName} has no task definition`,
      ExitCode.notFound,
    );
  }
  return { cluster: environment.clusterArn, serviceName: service.ecsName, taskDefinitionArn };
}

/**
 * Registers a revision of the service's task definition with `image`, points the service at it
 * and waits until the rollout is confirmed (see waitForRollout).
 */
export async function deploy(deps: WaitDeps, options: DeployOptions): Promise<DeployResult> {
  const { ecs, clock, log } = deps;
  const running = await findRunningService(deps, options);
  const currentArn = running.taskDefinitionArn;
  const current = await awsCall(
    'ecs:DescribeTaskDefinition',
    () =>
      ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: currentArn, include: ['TAGS'] }),
      ),
    clock,
  );
  if (!current.taskDefinition) {
    throw new RolloutCliError(`task definition ${currentArn} not found`, ExitCode.notFound);
  }
  const input = revisionWithImage(current.taskDefinition, current.tags, {
    containerName: options.container ?? options.service,
    image: options.image,
  });
  const registered = await awsCall(
    'ecs:RegisterTaskDefinition',
    () => ecs.send(new RegisterTaskDefinitionCommand(input)),
    clock,
  );
  const newArn = registered.taskDefinition?.taskDefinitionArn;
  if (!newArn)
    throw new RolloutCliError('RegisterTaskDefinition returned no ARN', ExitCode.awsError);
  log(
    `registered ${shortTaskDefinition(newArn)} (from ${shortTaskDefinition(currentArn)}) with image ${options.image}`,
  );
  return updateAndWait(deps, { ...running, taskDefinitionArn: newArn }, options);
}

/** Points the service back at the previous revision of its family (or --to-revision) and waits. */
export async function rollback(deps: WaitDeps, options: RollbackOptions): Promise<DeployResult> {
  const { ecs, clock, log } = deps;
  const running = await findRunningService(deps, options);
  const currentArn = running.taskDefinitionArn;
  const family = familyOf(currentArn);
  const currentRevision = revisionOf(currentArn);
  const arns = await listAll(async (nextToken) => {
    const page = await awsCall(
      'ecs:ListTaskDefinitions',
      () =>
        ecs.send(
          new ListTaskDefinitionsCommand({
            familyPrefix: family,
            status: 'ACTIVE',
            sort: 'DESC',
            nextToken,
          }),
        ),
      clock,
    );
    return { arns: page.taskDefinitionArns ?? [], nextToken: page.nextToken };
  });
  const candidates = arns
    .filter((arn) => familyOf(arn) === family)
    .sort((a, b) => revisionOf(b) - revisionOf(a));
  const previous =
    options.toRevision === undefined
      ? candidates.find((arn) => revisionOf(arn) < currentRevision)
      : candidates.find((arn) => revisionOf(arn) === options.toRevision);
  if (!previous) {
    const wanted =
      options.toRevision === undefined
        ? `no ACTIVE revision of ${family} older than ${currentRevision}`
        : `revision ${options.toRevision} of ${family} is not ACTIVE`;
    const active = candidates.map(shortTaskDefinition).join(', ') || 'none';
    throw new RolloutCliError(`${wanted} to roll back to (active: ${active})`, ExitCode.notFound);
  }
  log(
    `rolling ${options.service} back from ${shortTaskDefinition(currentArn)} to ${shortTaskDefinition(previous)}`,
  );
  return updateAndWait(deps, { ...running, taskDefinitionArn: previous }, options);
}

/**
 * Confirms the rollout of whatever the service runs now (after `copilot svc deploy`, which
 * changed it through CloudFormation): waits as `deploy` does, without changing anything.
 */
export async function confirmRollout(
  deps: WaitDeps,
  options: TargetOptions & { container?: string; imageTag?: string },
): Promise<DeployResult> {
  const { ecs, clock, log } = deps;
  const running = await findRunningService(deps, options);
  const { taskDefinitionArn } = running;
  if (options.imageTag !== undefined) {
    // After a circuit-breaker rollback the service is stable on the old revision: only the image
    // tells whether it runs what was just deployed.
    const described = await awsCall(
      'ecs:DescribeTaskDefinition',
      () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })),
      clock,
    );
    const containerName = options.container ?? options.service;
    const image = described.taskDefinition?.containerDefinitions?.find(
      (container) => container.name === containerName,
    )?.image;
    // The whole tag: `:abc` must not pass for an image tagged `abc123`.
    if (!image?.endsWith(`:${options.imageTag}`)) {
      log(
        `rollout failed: ${options.service} runs ${shortTaskDefinition(taskDefinitionArn)} with image ${image ?? 'none'}, not tag ${options.imageTag} (rolled back?)`,
      );
      return { exitCode: ExitCode.rolloutFailed, taskDefinitionArn };
    }
  }
  log(
    `confirming the rollout of ${shortTaskDefinition(taskDefinitionArn)} for ${options.service} in ${options.app}/${options.env}`,
  );
  return waitAndReport(deps, running, options);
}
