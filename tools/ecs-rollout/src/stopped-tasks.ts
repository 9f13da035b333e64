import { DescribeTasksCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { awsCall } from './aws-call.ts';
import type { LookupDeps } from './copilot-lookup.ts';
import { shortTaskDefinition } from './task-definition.ts';

/** A task of the service, as `status` and the rollout wait report it. */
export interface TaskSummary {
  taskArn: string;
  taskDefinitionArn: string | undefined;
  lastStatus: string | undefined;
  stoppedAt: Date | undefined;
  /** Why ECS stopped it, with the containers' own reasons and exit codes. */
  reason: string;
}

/** Why ECS stopped the task, with the containers' own reasons and exit codes. */
export function describeStop(task: Task): string {
  const containers = (task.containers ?? [])
    .filter((container) => container.reason || container.exitCode !== undefined)
    .map((container) => {
      const exit = container.exitCode === undefined ? '' : ` exit ${container.exitCode}`;
      return `${container.name}:${exit}${container.reason ? ` ${container.reason}` : ''}`;
    });
  return [task.stoppedReason ?? task.stopCode ?? 'no reason given', ...containers].join('; ');
}

function summarize(task: Task): TaskSummary {
  return {
    taskArn: task.taskArn ?? '?',
    taskDefinitionArn: task.taskDefinitionArn,
    lastStatus: task.lastStatus,
    stoppedAt: task.stoppedAt,
    reason: describeStop(task),
  };
}

/** The service's tasks with the given desired status (ECS keeps stopped ones for about an hour). */
export async function listServiceTasks(
  { ecs, clock }: LookupDeps,
  {
    cluster,
    serviceName,
    desiredStatus,
  }: { cluster: string; serviceName: string; desiredStatus: 'RUNNING' | 'STOPPED' },
): Promise<TaskSummary[]> {
  const list = await awsCall(
    'ecs:ListTasks',
    () => ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus, maxResults: 100 })),
    clock,
  );
  const taskArns = list.taskArns ?? [];
  if (taskArns.length === 0) return [];
  const described = await awsCall(
    'ecs:DescribeTasks',
    () => ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns })),
    clock,
  );
  return (described.tasks ?? [])
    .map(summarize)
    .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
}

/** `arn:…:task/cluster/0123abcd` → `0123abcd`. */
export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

export function formatStoppedTask(task: TaskSummary): string {
  const id = taskId(task.taskArn);
  return `task ${id} (${shortTaskDefinition(task.taskDefinitionArn)}) stopped: ${task.reason}`;
}
