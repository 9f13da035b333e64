import { existsSync } from 'node:fs';
import { readCloudFormationYaml, type Template, underConditions } from './cfn.ts';
import { listFiles, ROOT, readText, readYaml } from './repo.ts';

/** A template's text without its KMS key policies (the key-policy check reads those). */
const withoutKeyPolicies = (text: string) => text.replace(/^( +)KeyPolicy:\n(?:\1 +.*\n)+/gm, '');

// There is no official schema for Copilot manifests: these checks pin down what the services
// need from theirs.
interface ServiceManifest {
  name: string;
  type: string;
  http: { path: string; healthcheck: { path: string } | string };
  image: { build: { dockerfile: string; context: string }; port: number };
  exec: boolean;
  count: unknown;
  network?: { vpc?: { placement?: string } };
  deployment?: { rollback_alarms?: Record<string, unknown> };
  variables: Record<string, unknown>;
  secrets: Record<string, unknown>;
  environments?: Record<string, { exec?: boolean; count?: { range?: { max?: number } } }>;
}

const producer = readYaml<ServiceManifest>('copilot/producer/manifest.yml');
const consumer = readYaml<ServiceManifest>('copilot/consumer/manifest.yml');

describe('Copilot workspace and environments', () => {
  it('when Copilot reads the workspace, then it names the application', () => {
    expect(readText('copilot/.workspace')).toMatch(/^application: kafka-ecs$/m);
  });

  it.each(['test', 'prod'])(
    'when the %s environment is deployed, then its manifest is an Environment of that name',
    (env) => {
      const manifest = readYaml<{ name: string; type: string }>(
        `copilot/environments/${env}/manifest.yml`,
      );
      expect(manifest).toMatchObject({ name: env, type: 'Environment' });
    },
  );
});

describe.each([
  {
    manifest: producer,
    name: 'producer',
    path: 'producer-svc',
    health: '/producer-svc',
    port: 9001,
  },
  { manifest: consumer, name: 'consumer', path: '/', health: '/', port: 9000 },
])('the $name service manifest', ({ manifest, name, path, health, port }) => {
  it('when deployed, then it is a Load Balanced Web Service on its path, port and health check', () => {
    expect(manifest.name).toBe(name);
    expect(manifest.type).toBe('Load Balanced Web Service');
    expect(manifest.http.path).toBe(path);
    const healthcheck = manifest.http.healthcheck;
    expect(typeof healthcheck === 'string' ? healthcheck : healthcheck.path).toBe(health);
    expect(manifest.image.port).toBe(port);
  });

  it('when built, then the image comes from the service Dockerfile with the repository as context', () => {
    expect(manifest.image.build).toEqual({
      dockerfile: `services/${name}/Dockerfile`,
      context: '.',
    });
    expect(existsSync(`${ROOT}/${manifest.image.build.dockerfile}`)).toBe(true);
  });

  it('when operating it, then ECS Exec is on in test only, tasks run in private subnets and bad deploys roll back', () => {
    // Prod's one-off operations run as tasks of their own (ecs-rollout run), not in a live one.
    expect(manifest.exec).toBe(true);
    expect(manifest.environments?.test?.exec).toBeUndefined();
    expect(manifest.environments?.prod?.exec).toBe(false);
    expect(manifest.network?.vpc?.placement).toBe('private');
    expect(Object.keys(manifest.deployment?.rollback_alarms ?? {})).not.toHaveLength(0);
  });

  it('when started, then Kafka comes from the environment addons outputs (Redis, a secret: secrets.test.ts)', () => {
    expect(manifest.variables.KAFKA_BROKERS).toEqual({
      from_cfn: `\${COPILOT_APPLICATION_NAME}-\${COPILOT_ENVIRONMENT_NAME}-KafkaBrokers`,
    });
    expect(manifest.variables.NODE_ENV).toBe('production');
  });

  it('when Node starts in the task, then its young generation is bounded (the flags pnpm bench measures with)', () => {
    expect(manifest.variables.NODE_OPTIONS).toMatch(/(^| )--max-semi-space-size=\d+( |$)/);
  });
});

describe('secrets', () => {
  it('when either service starts, then the token-signing secret comes from the addon secret, by ARN', () => {
    expect(consumer.secrets.TOKEN_SECRET).toEqual(producer.secrets.TOKEN_SECRET);
    expect(producer.secrets.TOKEN_SECRET).toEqual({
      from_cfn: `\${COPILOT_APPLICATION_NAME}-\${COPILOT_ENVIRONMENT_NAME}-TokenSecretArn`,
    });
  });

  it('when the consumer starts, then ADMIN_TOKEN comes from SSM Parameter Store under Copilot path', () => {
    expect(consumer.secrets.ADMIN_TOKEN).toBe(
      `/copilot/\${COPILOT_APPLICATION_NAME}/\${COPILOT_ENVIRONMENT_NAME}/secrets/ADMIN_TOKEN`,
    );
  });

  it('when a manifest sets variables, then none of them looks like a secret value', () => {
    for (const manifest of [producer, consumer]) {
      expect(
        Object.keys(manifest.variables).filter((key) => /TOKEN|SECRET|PASSWORD/.test(key)),
      ).toEqual([]);
    }
  });
});

describe('the consumer', () => {
  it('when it scales, then it never runs more members than the 8 partitions', () => {
    expect(consumer.count).toMatchObject({ range: { max: 8 } });
    expect(consumer.variables.KAFKA_TOPIC_PARTITIONS).toBe(8);
    for (const override of Object.values(consumer.environments ?? {})) {
      expect(override.count?.range?.max ?? 8).toBeLessThanOrEqual(8);
    }
  });

  it('when it calls the producer, then it finds it through Copilot service discovery as producer:9001', () => {
    expect(consumer.variables).toMatchObject({
      PRODUCER_SVC_NAME: producer.name,
      PRODUCER_SVC_PORT: producer.image.port,
    });
    expect(consumer.variables.PRODUCER_SVC_ENDPOINT).toBeUndefined();
  });
});

describe('environment addons', () => {
  const templates = listFiles('copilot/environments/addons', '.yml').filter(
    (path) => !path.endsWith('addons.parameters.yml'),
  );
  const outputs = templates.map(
    (path) => readYaml<{ Outputs?: Record<string, { Export?: unknown }> }>(path).Outputs ?? {},
  );

  // KafkaClusterArn is imported by the services' addons, which scope their task roles to it;
  // the secrets' ARNs by the manifests and the execution roles' policies (overrides).
  const EXPORTS = [
    'KafkaBrokers',
    'KafkaClusterArn',
    'RedisUrlSecretArn',
    'TokenSecretArn',
    'AlarmTopicArn',
    'RedisCluster',
  ];
  // Still exported for service stacks deployed before the Redis AUTH token; nothing new uses it.
  const DEPRECATED = ['RedisUrl'];

  it('when the services import KafkaBrokers, KafkaClusterArn and the secrets ARNs, then an addon exports each', () => {
    const exported = outputs.flatMap((output) =>
      Object.entries(output)
        .filter(([, value]) => value.Export)
        .map(([key]) => key),
    );
    expect(exported).toEqual(expect.arrayContaining(EXPORTS));
    for (const path of templates) {
      for (const match of readText(path).matchAll(
        /Export:\s*\n\s*Name: !Sub \$\{App\}-\$\{Env\}-(\w+)/g,
      )) {
        expect([...EXPORTS, ...DEPRECATED]).toContain(match[1]);
      }
    }
  });

  it('when a service or its overrides import an export, then it is a current one, never a deprecated one', () => {
    for (const service of ['producer', 'consumer']) {
      const texts = [
        `copilot/${service}/manifest.yml`,
        ...listFiles(`copilot/${service}/addons`, '.yml'),
        ...listFiles(`copilot/${service}/overrides`, '.yml'),
      ].map(readText);
      for (const text of texts) {
        for (const match of text.matchAll(/NAME\}-(\w+)|\$\{EnvName\}-(\w+)|\$\{Env\}-(\w+)/g)) {
          expect(EXPORTS).toContain(match[1] ?? match[2] ?? match[3]);
        }
      }
    }
  });

  it('when Redis holds BullMQ queues, then its parameter group never evicts keys', () => {
    const redis = readCloudFormationYaml<Template>('copilot/environments/addons/redis.yml');
    const groups = Object.values(redis.Resources).filter(
      (resource) => resource.Type === 'AWS::ElastiCache::ParameterGroup',
    );
    for (const cluster of [false, true]) {
      const properties = underConditions(groups, { ClusterMode: cluster }).map(
        (group) => group.Properties.Properties,
      );
      expect(properties).toEqual([
        { 'maxmemory-policy': 'noeviction', ...(cluster ? { 'cluster-enabled': 'yes' } : {}) },
      ]);
    }
  });

  it('when an addon grants IAM permissions, then they are scoped to named actions (no wildcards)', () => {
    const serviceAddons = ['producer', 'consumer'].flatMap((service) =>
      existsSync(`${ROOT}/copilot/${service}/addons`)
        ? listFiles(`copilot/${service}/addons`, '.yml')
        : [],
    );
    expect(serviceAddons).not.toHaveLength(0);
    const overrides = ['producer', 'consumer'].flatMap((service) =>
      listFiles(`copilot/${service}/overrides`, '.yml'),
    );
    expect(overrides).not.toHaveLength(0);
    for (const path of [...templates, ...serviceAddons, ...overrides]) {
      const text = withoutKeyPolicies(readText(path));
      expect(text).not.toMatch(/Action:\s*['"]?\*|Action:\s*\[?\s*['"]?[a-z0-9-]+:\*/);
      expect(text).not.toMatch(/Resource:\s*['"]\*['"]/);
    }
  });

  // A key policy's Resource "*" means the key itself, and its account-root statement (kms:*) is
  // KMS's default, which keeps the key manageable through IAM; anything else stays named.
  it('when a KMS key has a policy, then the account root administers it and a service gets named actions for this account only', () => {
    const keys = templates.flatMap((path) =>
      Object.values(readCloudFormationYaml<Template>(path).Resources).filter(
        (resource) => resource.Type === 'AWS::KMS::Key',
      ),
    );
    expect(keys).not.toHaveLength(0);
    for (const key of keys) {
      const { Statement } = key.Properties.KeyPolicy as { Statement: Record<string, unknown>[] };
      for (const statement of Statement) {
        if (JSON.stringify(statement.Action) === '"kms:*"') {
          expect(statement.Principal).toEqual({
            AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root` },
          });
        } else {
          expect(JSON.stringify(statement.Action)).not.toMatch(/"kms:\*"|"\*"/);
          expect(statement.Condition).toEqual({
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          });
        }
      }
    }
    expect(withoutKeyPolicies(readText('copilot/environments/addons/alarm-topic.yml'))).not.toMatch(
      /kms:\*/,
    );
  });
});
