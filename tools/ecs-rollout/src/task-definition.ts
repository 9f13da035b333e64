import type { RegisterTaskDefinitionCommandInput, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { ExitCode, RolloutCliError } from './errors.ts';

/**
 * The input that registers a copy of `current` whose container `containerName` runs `image`.
 * Everything else (roles, ports, environment, secrets, logging, sizes) is kept, so the new
 * revision differs from Copilot's only by the image.
 */
export function revisionWithImage(
  current: TaskDefinition,
  tags: Tag[] | undefined,
  { containerName, image }: { containerName: string; image: string },
): RegisterTaskDefinitionCommandInput {
  const containers = current.containerDefinitions ?? [];
  if (!containers.some((container) => container.name === containerName)) {
    const names = containers.map((container) => container.name).join(', ');
    throw new RolloutCliError(
      `task definition ${current.family}:${current.revision} has no container named ${containerName} (containers: ${names}); pass --container`,
      ExitCode.notFound,
    );
  }
  if (!current.family) {
    throw new RolloutCliError('the current task definition has no family', ExitCode.notFound);
  }
  return {
    family: current.family,
    taskRoleArn: current.taskRoleArn,
    executionRoleArn: current.executionRoleArn,
    networkMode: current.networkMode,
    containerDefinitions: containers.map((container) =>
      container.name === containerName ? { ...container, image } : container,
    ),
    volumes: current.volumes,
    placementConstraints: current.placementConstraints,
    requiresCompatibilities: current.requiresCompatibilities,
    cpu: current.cpu,
    memory: current.memory,
    pidMode: current.pidMode,
    ipcMode: current.ipcMode,
    proxyConfiguration: current.proxyConfiguration,
    inferenceAccelerators: current.inferenceAccelerators,
    ephemeralStorage: current.ephemeralStorage,
    runtimePlatform: current.runtimePlatform,
    enableFaultInjection: current.enableFaultInjection,
    ...(tags && tags.length > 0 ? { tags } : {}),
  };
}

/** `arn:…:task-definition/shop-test-producer:7` → `shop-test-producer:7`. */
export function shortTaskDefinition(arn: string | undefined): string {
  if (!arn) return '?';
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** The family of a task-definition ARN or `family:revision`: `shop-test-producer`. */
export function familyOf(arn: string): string {
  return shortTaskDefinition(arn).replace(/:\d+$/, '');
}

/** The revision number at the end of a task-definition ARN or `family:revision`. */
export function revisionOf(arn: string): number {
  const revision = Number(arn.slice(arn.lastIndexOf(':') + 1));
  return Number.isInteger(revision) ? revision : Number.NaN;
}
