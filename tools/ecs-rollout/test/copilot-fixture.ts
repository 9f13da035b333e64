import {
  CreateClusterCommand,
  CreateServiceCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';

/**
 * Creates, through the SDK, what `copilot env deploy` + `copilot svc deploy` leave in ECS: a
 * cluster and services tagged with Copilot's tags, task definitions named
 * `<app>-<env>-<svc>` whose main container is named after the service.
 */
export async function createCopilotEnvironment(
  ecs: ECSClient,
  {
    app,
    env,
    services,
    network,
  }: {
    app: string;
    env: string;
    services: { name: string; port: number; desiredCount: number }[];
    /** The services' awsvpc subnets and security groups (Copilot's are the environment's). */
    network?: { subnets: string[]; securityGroups: string[] };
  },
): Promise<{ clusterName: string; serviceNames: Record<string, string> }> {
  const envTags = [
    { key: 'copilot-application', value: app },
    { key: 'copilot-environment', value: env },
  ];
  const clusterName = `${app}-${env}-Cluster-AbCdEf123`;
  await ecs.send(new CreateClusterCommand({ clusterName, tags: envTags }));
  const serviceNames: Record<string, string> = {};
  for (const service of services) {
    const tags = [...envTags, { key: 'copilot-service', value: service.name }];
    const family = `${app}-${env}-${service.name}`;
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        taskRoleArn: `arn:aws:iam::123456789012:role/${family}-TaskRole`,
        executionRoleArn: `arn:aws:iam::123456789012:role/${family}-ExecutionRole`,
        containerDefinitions: [
          {
            name: service.name,
            image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${app}/${service.name}:v1`,
            essential: true,
            // Copilot sizes the task only; moto's RunTask adds up the containers' memory.
            memory: 512,
            portMappings: [{ containerPort: service.port, protocol: 'tcp' }],
            environment: [
              { name: 'PORT', value: String(service.port) },
              { name: 'COPILOT_SERVICE_NAME', value: service.name },
            ],
            secrets: [
              {
                name: 'ADMIN_TOKEN',
                valueFrom: `arn:aws:ssm:eu-west-1:123456789012:parameter/copilot/${app}/${env}/secrets/ADMIN_TOKEN`,
              },
            ],
          },
        ],
        tags,
      }),
    );
    const ecsName = `${app}-${env}-${service.name}-Service-Xy12Z`;
    await ecs.send(
      new CreateServiceCommand({
        cluster: clusterName,
        serviceName: ecsName,
        taskDefinition: registered.taskDefinition?.taskDefinitionArn,
        desiredCount: service.desiredCount,
        launchType: 'FARGATE',
        ...(network
          ? {
              networkConfiguration: {
                awsvpcConfiguration: { ...network, assignPublicIp: 'DISABLED' as const },
              },
            }
          : {}),
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: true, rollback: true },
          minimumHealthyPercent: 100,
          maximumPercent: 200,
        },
        tags,
      }),
    );
    serviceNames[service.name] = ecsName;
  }
  return { clusterName, serviceNames };
}
