import type { Deployment, ServiceEvent } from '@aws-sdk/client-ecs';
import {
  type CopilotEnvironment,
  findCopilotEnvironment,
  type LookupDeps,
} from './copilot-lookup.ts';
import { formatStoppedTask, listServiceTasks, type TaskSummary } from './stopped-tasks.ts';
import { shortTaskDefinition } from './task-definition.ts';

export interface ServiceStatus {
  name: string;
  ecsName: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition: string | undefined;
  deployments: Deployment[];
  events: ServiceEvent[];
  stoppedTasks: TaskSummary[];
}

export interface EnvironmentStatus {
  app: string;
  env: string;
  clusterName: string;
  services: ServiceStatus[];
}

export interface StatusOptions {
  app: string;
  env: string;
  /** Only this Copilot service. */
  service?: string;
  /** How many of the latest service events to show. @defaultValue 5 */
  events?: number;
  /** How many stopped tasks to show per service. @defaultValue 5 */
  stoppedTasks?: number;
}

/** What `status` shows, gathered from ECS alone. */
export async function collectStatus(
  deps: LookupDeps,
  options: StatusOptions,
): Promise<EnvironmentStatus> {
  const environment: CopilotEnvironment = await findCopilotEnvironment(deps, options);
  const chosen = environment.services.filter(
    (service) => options.service === undefined || service.name === options.service,
  );
  const services: ServiceStatus[] = [];
  for (const { name, ecsName, service } of chosen) {
    const stopped = await listServiceTasks(deps, {
      cluster: environment.clusterArn,
      serviceName: ecsName,
      desiredStatus: 'STOPPED',
    });
    services.push({
      name,
      ecsName,
      desiredCount: service.desiredCount ?? 0,
      runningCount: service.runningCount ?? 0,
      pendingCount: service.pendingCount ?? 0,
      taskDefinition: service.taskDefinition,
      deployments: service.deployments ?? [],
      events: (service.events ?? []).slice(0, options.events ?? 5),
      stoppedTasks: stopped.slice(0, options.stoppedTasks ?? 5),
    });
  }
  return {
    app: environment.app,
    env: environment.env,
    clusterName: environment.clusterName,
    services,
  };
}

export function formatDeployment(deployment: Deployment): string {
  const state = deployment.rolloutState ?? 'n/a';
  const counts = `running ${deployment.runningCount ?? 0}/${deployment.desiredCount ?? 0}, pending ${deployment.pendingCount ?? 0}, failed ${deployment.failedTasks ?? 0}`;
  const reason = deployment.rolloutStateReason ? ` (${deployment.rolloutStateReason})` : '';
  return `${deployment.status ?? '?'} ${shortTaskDefinition(deployment.taskDefinition)} ${state}: ${counts}${reason}`;
}

/** Human-readable status, one block per service. */
export function formatStatus(status: EnvironmentStatus): string {
  const lines = [`app ${status.app}, env ${status.env}, cluster ${status.clusterName}`];
  if (status.services.length === 0) lines.push('  no Copilot services in this environment');
  for (const service of status.services) {
    lines.push(
      '',
      `${service.name} (${service.ecsName}): desired ${service.desiredCount}, running ${service.runningCount}, pending ${service.pendingCount}, task definition ${shortTaskDefinition(service.taskDefinition)}`,
      '  deployments:',
      ...service.deployments.map((deployment) => `    ${formatDeployment(deployment)}`),
    );
    if (service.events.length > 0) {
      lines.push('  last events:');
      for (const event of service.events) {
        lines.push(`    ${event.createdAt?.toISOString() ?? '?'} ${event.message ?? ''}`);
      }
    }
    if (service.stoppedTasks.length > 0) {
      lines.push('  stopped tasks:');
      for (const task of service.stoppedTasks) lines.push(`    ${formatStoppedTask(task)}`);
    }
  }
  return lines.join('\n');
}
