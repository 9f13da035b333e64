import type { Deployment, ServiceEvent } from '@aws-sdk/client-ecs';
import {
  type CopilotEnvironment,
  findCopilotEnvironment,
  type LookupDeps,
} from './copilot-lookup.ts';
import { formatStoppedTask, listServiceTasks, type TaskSummary } from './stopped-tasks.ts';
import { revisionOf, shortTaskDefinition } from './task-definition.ts';

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

/** The revision of a task-definition ARN, or undefined when there is none to read. */
function knownRevision(arn: string | undefined): number | undefined {
  const revision = arn ? revisionOf(arn) : Number.NaN;
  return Number.isInteger(revision) ? revision : undefined;
}

/**
 * The revision the service last finished rolling out: its COMPLETED deployment's (while a new
 * one is IN_PROGRESS the old one stays ACTIVE and COMPLETED), or, with no rollout state at all
 * (no circuit breaker), its only deployment's. Undefined while two deployments run and neither
 * says it is the stable one: there is nothing safe to roll back to then.
 */
export function stableRevision(service: Pick<ServiceStatus, 'deployments'>): number | undefined {
  const completed = service.deployments.find((d) => d.rolloutState === 'COMPLETED');
  if (completed) return knownRevision(completed.taskDefinition);
  const [only, ...others] = service.deployments;
  if (only && others.length === 0 && only.rolloutState === undefined) {
    return knownRevision(only.taskDefinition);
  }
  return undefined;
}

/**
 * `status --json`: what formatStatus shows, for scripts (deploy-rollout.yml reads it with a line
 * of Node), less the events and stopped tasks, which stay in the text form.
 */
export function statusAsJson(status: EnvironmentStatus): string {
  return JSON.stringify(
    {
      app: status.app,
      env: status.env,
      cluster: status.clusterName,
      services: status.services.map((service) => ({
        name: service.name,
        ecsName: service.ecsName,
        desiredCount: service.desiredCount,
        runningCount: service.runningCount,
        pendingCount: service.pendingCount,
        taskDefinition: service.taskDefinition ?? null,
        revision: knownRevision(service.taskDefinition) ?? null,
        stableRevision: stableRevision(service) ?? null,
        deployments: service.deployments.map((deployment) => ({
          id: deployment.id ?? null,
          status: deployment.status ?? null,
          taskDefinition: deployment.taskDefinition ?? null,
          rolloutState: deployment.rolloutState ?? null,
          runningCount: deployment.runningCount ?? 0,
          desiredCount: deployment.desiredCount ?? 0,
          failedTasks: deployment.failedTasks ?? 0,
        })),
      })),
    },
    null,
    2,
  );
}
