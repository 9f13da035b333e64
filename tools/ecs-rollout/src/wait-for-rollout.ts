import { type Deployment, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { awsCall } from './aws-call.ts';
import type { LookupDeps } from './copilot-lookup.ts';
import { formatDeployment } from './status.ts';
import { listServiceTasks, type TaskSummary } from './stopped-tasks.ts';
import { shortTaskDefinition } from './task-definition.ts';

export interface WaitForRolloutOptions {
  cluster: string;
  serviceName: string;
  /** The task definition the rollout must end on. */
  taskDefinitionArn: string;
  /** @defaultValue 600_000 (10 minutes) */
  timeoutMs?: number;
  /** @defaultValue 10_000 */
  pollIntervalMs?: number;
}

export type RolloutOutcome =
  | { result: 'completed' }
  | { result: 'failed' | 'rolled-back' | 'timed-out'; reason: string; stoppedTasks: TaskSummary[] };

export interface WaitDeps extends LookupDeps {
  /** Progress lines, printed as the rollout moves. */
  log: (line: string) => void;
}

/**
 * Waits until the service's PRIMARY deployment runs `taskDefinitionArn` with rollout state
 * COMPLETED and every running task uses it. ECS's own services-stable waiter is not enough: after
 * the circuit breaker rolls a deployment back, the service is stable again, on the old revision.
 * So a PRIMARY deployment on another revision means "rolled back", and FAILED means failed.
 */
export async function waitForRollout(
  deps: WaitDeps,
  options: WaitForRolloutOptions,
): Promise<RolloutOutcome> {
  const { ecs, clock, log } = deps;
  const { cluster, serviceName, taskDefinitionArn } = options;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const deadline = clock.now() + timeoutMs;
  const target = shortTaskDefinition(taskDefinitionArn);
  let lastProgress = '';

  const stoppedOfTarget = async () =>
    (await listServiceTasks(deps, { cluster, serviceName, desiredStatus: 'STOPPED' })).filter(
      (task) => task.taskDefinitionArn === taskDefinitionArn,
    );

  for (;;) {
    const described = await awsCall(
      'ecs:DescribeServices',
      () => ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] })),
      clock,
    );
    const service = described.services?.[0];
    const primary: Deployment | undefined = service?.deployments?.find(
      (deployment) => deployment.status === 'PRIMARY',
    );
    if (!service || !primary) {
      return {
        result: 'failed',
        reason: `service ${serviceName} has no PRIMARY deployment (was it deleted?)`,
        stoppedTasks: [],
      };
    }
    const progress = formatDeployment(primary);
    if (progress !== lastProgress) {
      log(`  ${progress}`);
      lastProgress = progress;
    }
    if (primary.taskDefinition !== taskDefinitionArn) {
      return {
        result: 'rolled-back',
        reason: `the PRIMARY deployment runs ${shortTaskDefinition(primary.taskDefinition)}, not ${target}: ECS rolled the deployment back${primary.rolloutStateReason ? ` (${primary.rolloutStateReason})` : ''}`,
        stoppedTasks: await stoppedOfTarget(),
      };
    }
    if (primary.rolloutState === 'FAILED') {
      return {
        result: 'failed',
        reason: `the deployment of ${target} failed: ${primary.rolloutStateReason ?? 'no reason given'}`,
        stoppedTasks: await stoppedOfTarget(),
      };
    }
    if (
      primary.rolloutState === 'COMPLETED' &&
      (primary.runningCount ?? 0) >= (primary.desiredCount ?? 0)
    ) {
      const running = await listServiceTasks(deps, {
        cluster,
        serviceName,
        desiredStatus: 'RUNNING',
      });
      const stale = running.filter((task) => task.taskDefinitionArn !== taskDefinitionArn);
      const current = running.length - stale.length;
      if (stale.length === 0 && current >= (primary.desiredCount ?? 0))
        return { result: 'completed' };
      log(
        `  rollout COMPLETED, waiting for tasks: ${current} on ${target}, ${stale.length} on older revisions`,
      );
    }
    if (clock.now() >= deadline) {
      return {
        result: 'timed-out',
        reason: `the deployment of ${target} did not complete within ${Math.round(timeoutMs / 1000)} s (last state: ${progress})`,
        stoppedTasks: await stoppedOfTarget(),
      };
    }
    await clock.sleep(pollIntervalMs);
  }
}
