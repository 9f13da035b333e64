import {
  type Cluster,
  DescribeClustersCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  type Service,
  type Tag,
} from '@aws-sdk/client-ecs';
import { awsCall, listAll } from './aws-call.ts';
import type { Clock } from './clock.ts';
import { ExitCode, RolloutCliError } from './errors.ts';

/** The tags Copilot puts on every stack it creates, and so on the cluster and services. */
export const CopilotTag = {
  application: 'copilot-application',
  environment: 'copilot-environment',
  service: 'copilot-service',
} as const;

export interface LookupDeps {
  ecs: Pick<ECSClient, 'send'>;
  clock: Clock;
}

export interface CopilotEnvironment {
  app: string;
  env: string;
  clusterArn: string;
  clusterName: string;
  /** The environment's services, sorted by their Copilot name. */
  services: CopilotService[];
}

export interface CopilotService {
  /** The name in the Copilot manifest (the `copilot-service` tag), e.g. `producer`. */
  name: string;
  arn: string;
  /** The ECS service name, e.g. `shop-test-producer-Service-AbC123`. */
  ecsName: string;
  service: Service;
}

function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.key === key)?.value;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

async function findCluster(
  deps: LookupDeps,
  app: string,
  env: string,
): Promise<Cluster & { clusterArn: string }> {
  const { ecs, clock } = deps;
  const clusterArns = await listAll(async (nextToken) => {
    const page = await awsCall(
      'ecs:ListClusters',
      () => ecs.send(new ListClustersCommand({ nextToken })),
      clock,
    );
    return { arns: page.clusterArns ?? [], nextToken: page.nextToken };
  });
  const matches: (Cluster & { clusterArn: string })[] = [];
  for (const batch of chunks(clusterArns, 100)) {
    const page = await awsCall(
      'ecs:DescribeClusters',
      () => ecs.send(new DescribeClustersCommand({ clusters: batch, include: ['TAGS'] })),
      clock,
    );
    for (const cluster of page.clusters ?? []) {
      if (
        cluster.clusterArn &&
        cluster.status === 'ACTIVE' &&
        tagValue(cluster.tags, CopilotTag.application) === app &&
        tagValue(cluster.tags, CopilotTag.environment) === env
      ) {
        matches.push({ ...cluster, clusterArn: cluster.clusterArn });
      }
    }
  }
  const [cluster, ...others] = matches;
  if (!cluster) {
    throw new RolloutCliError(
      `no ECS cluster tagged ${CopilotTag.application}=${app}, ${CopilotTag.environment}=${env} in this account and region (is the environment deployed? is AWS_REGION right?)`,
      ExitCode.notFound,
    );
  }
  if (others.length > 0) {
    throw new RolloutCliError(
      `${matches.length} ECS clusters are tagged for app ${app}, env ${env}: ${matches.map((c) => c.clusterName).join(', ')}`,
      ExitCode.notFound,
    );
  }
  return cluster;
}

/** Finds the Copilot environment's cluster and its services by Copilot's tags. */
export async function findCopilotEnvironment(
  deps: LookupDeps,
  { app, env }: { app: string; env: string },
): Promise<CopilotEnvironment> {
  const { ecs, clock } = deps;
  const cluster = await findCluster(deps, app, env);
  const serviceArns = await listAll(async (nextToken) => {
    const page = await awsCall(
      'ecs:ListServices',
      () => ecs.send(new ListServicesCommand({ cluster: cluster.clusterArn, nextToken })),
      clock,
    );
    return { arns: page.serviceArns ?? [], nextToken: page.nextToken };
  });
  const services: CopilotService[] = [];
  for (const batch of chunks(serviceArns, 10)) {
    const page = await awsCall(
      'ecs:DescribeServices',
      () =>
        ecs.send(
          new DescribeServicesCommand({
            cluster: cluster.clusterArn,
            services: batch,
            include: ['TAGS'],
          }),
        ),
      clock,
    );
    for (const service of page.services ?? []) {
      const name = tagValue(service.tags, CopilotTag.service);
      if (
        name &&
        service.serviceArn &&
        service.serviceName &&
        tagValue(service.tags, CopilotTag.application) === app &&
        tagValue(service.tags, CopilotTag.environment) === env
      ) {
        services.push({ name, arn: service.serviceArn, ecsName: service.serviceName, service });
      }
    }
  }
  services.sort((a, b) => a.name.localeCompare(b.name));
  return {
    app,
    env,
    clusterArn: cluster.clusterArn,
    clusterName: cluster.clusterName ?? cluster.clusterArn,
    services,
  };
}

/** One service of a Copilot environment, by its Copilot name. */
export async function findCopilotService(
  deps: LookupDeps,
  { app, env, service }: { app: string; env: string; service: string },
): Promise<{ environment: CopilotEnvironment; service: CopilotService }> {
  const environment = await findCopilotEnvironment(deps, { app, env });
  const found = environment.services.find((candidate) => candidate.name === service);
  if (!found) {
    const known = environment.services.map((candidate) => candidate.name).join(', ') || 'none';
    throw new RolloutCliError(
      `no service ${service} in app ${app}, env ${env} (services there: ${known})`,
      ExitCode.notFound,
    );
  }
  return { environment, service: found };
}
