import { evaluate, PSEUDO, readTemplate, type Scope } from './cfn.ts';
import { listFiles, readText, readYaml } from './repo.ts';

// The deployed system is encrypted and authenticated by default: MSK takes TLS with IAM
// authentication only, the services select exactly that, and each task role may touch only its
// own topics, groups and transactional ids in that one cluster (docs/deploy.md, "Kafka: TLS and
// IAM").

const kafka = readTemplate('copilot/environments/addons/kafka.yml');
const cluster = kafka.Resources.KafkaCluster?.Properties ?? {};

interface ServiceManifest {
  variables: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  environments?: Record<string, { variables?: Record<string, unknown> } | null>;
}

const SERVICES = ['producer', 'consumer'] as const;
const manifests = Object.fromEntries(
  SERVICES.map((name) => [name, readYaml<ServiceManifest>(`copilot/${name}/manifest.yml`)]),
) as Record<(typeof SERVICES)[number], ServiceManifest>;

// The topic names the code uses (packages/events/src/topics.ts), read from the source.
const topicsSource = readText('packages/events/src/topics.ts');
const TOPICS = Object.fromEntries(
  [
    ...(topicsSource.match(/export const Topics = \{([^}]*)\}/)?.[1] ?? '').matchAll(
      /(\w+): '([^']+)'/g,
    ),
  ].map((match) => [match[1], match[2]]),
) as Record<string, string>;
const EVENT_TOPICS = [
  ...(topicsSource.match(/EVENT_TOPICS = \[([^\]]*)\]/)?.[1] ?? '').matchAll(/Topics\.(\w+)/g),
].map((match) => TOPICS[match[1] as string]);

describe('MSK (environment addon kafka.yml)', () => {
  it('when the topic names are read from the code, then there are the four this file expects', () => {
    expect(Object.values(TOPICS)).toHaveLength(4);
    expect(EVENT_TOPICS).toEqual(['new-user-created', 'issued-token']);
  });

  it('when a client connects, then only IAM authentication is accepted, never an unauthenticated client', () => {
    expect(kafka.Resources.KafkaCluster?.Type).toBe('AWS::MSK::Cluster');
    // Exactly this: no SCRAM or mutual TLS beside IAM, and unauthenticated access explicitly off.
    expect(cluster.ClientAuthentication).toEqual({
      Sasl: { Iam: { Enabled: true } },
      Unauthenticated: { Enabled: false },
    });
  });

  it('when a client connects, then it is over TLS (no plaintext listener) and brokers encrypt among themselves', () => {
    expect(cluster.EncryptionInfo).toEqual({
      EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
    });
  });

  it('when the brokers security group is read, then only the IAM listener (9098) is open, to the services only', () => {
    const groups = Object.values(kafka.Resources).filter(
      (resource) => resource.Type === 'AWS::EC2::SecurityGroup',
    );
    const ingress = groups.flatMap(
      (group) => (group.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[],
    );
    expect(ingress).not.toHaveLength(0);
    for (const rule of ingress) {
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 9098, ToPort: 9098 });
      expect(rule.SourceSecurityGroupId).toBeDefined();
      expect(rule.CidrIp).toBeUndefined();
    }
    expect(
      Object.values(kafka.Resources).filter(
        (resource) => resource.Type === 'AWS::EC2::SecurityGroupIngress',
      ),
    ).toEqual([]);
  });

  it('when the brokers are exported, then they are the IAM bootstrap string (or the existing cluster one)', () => {
    expect(kafka.Outputs?.KafkaBrokers?.Value).toEqual({
      'Fn::If': [
        'CreateMsk',
        { 'Fn::GetAtt': 'BootstrapBrokers.SaslIam' },
        { Ref: 'ExistingBootstrapBrokers' },
      ],
    });
    const lambda = kafka.Resources.BootstrapBrokersFunction;
    const code = String((lambda?.Properties.Code as { ZipFile?: string } | undefined)?.ZipFile);
    expect(code).toContain("'BootstrapBrokerStringSaslIam'");
    expect(code).not.toMatch(/'BootstrapBrokerString'|BootstrapBrokerStringTls'/);
  });

  it('when an existing cluster is used, then the operator passes its IAM brokers and ARN, which is exported for the policies', () => {
    expect(kafka.Outputs?.KafkaClusterArn?.Value).toEqual({
      'Fn::If': ['CreateMsk', { Ref: 'KafkaCluster' }, { Ref: 'ExistingClusterArn' }],
    });
    const parameters = readYaml<{ Parameters: Record<string, string> }>(
      'copilot/environments/addons/addons.parameters.yml',
    ).Parameters;
    expect(parameters).toEqual({
      ExistingBootstrapBrokers: '',
      ExistingClusterArn: '',
      AlarmEmail: '',
    });
  });
});

describe.each(SERVICES)('the %s manifest', (name) => {
  const manifest = manifests[name];
  const settings = (variables: Record<string, unknown>) =>
    Object.fromEntries(
      ['KAFKA_SSL', 'KAFKA_SASL_MECHANISM', 'KAFKA_BROKERS', 'REDIS_URL', 'AWS_REGION']
        .filter((key) => key in variables)
        .map((key) => [key, variables[key]]),
    );

  it('when it connects to Kafka, then it selects TLS and aws-msk-iam with the IAM brokers', () => {
    expect(String(manifest.variables.KAFKA_SSL)).toBe('true');
    expect(manifest.variables.KAFKA_SASL_MECHANISM).toBe('aws-msk-iam');
    expect(manifest.variables.KAFKA_BROKERS).toEqual({
      from_cfn: `\${COPILOT_APPLICATION_NAME}-\${COPILOT_ENVIRONMENT_NAME}-KafkaBrokers`,
    });
    // No SCRAM credentials; Amazon's public CAs, so no private bundle; AWS_REGION is ECS's.
    for (const variable of [
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
      'KAFKA_SSL_CA_FILE',
      'AWS_REGION',
    ]) {
      expect(manifest.variables[variable]).toBeUndefined();
      expect(manifest.secrets?.[variable]).toBeUndefined();
    }
  });

  it('when an environment overrides variables, then it never changes the connection security', () => {
    for (const override of Object.values(manifest.environments ?? {})) {
      expect(settings(override?.variables ?? {})).toEqual({});
    }
  });
});

// The task roles' policies, worked out for an example cluster as CloudFormation would.
const CLUSTER_NAME = 'kafka-ecs-test-kafka';
const CLUSTER_UUID = '0b7c6a6e-1d2f-4c3b-9a8d-7e6f5a4b3c2d-2';
const PREFIX = `arn:aws:kafka:${PSEUDO['AWS::Region']}:${PSEUDO['AWS::AccountId']}`;
const CLUSTER_ARN = `${PREFIX}:cluster/${CLUSTER_NAME}/${CLUSTER_UUID}`;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

function policyOf(service: string): { statements: Statement[]; outputsPolicy: boolean } {
  const scope: Scope = {
    params: { App: 'kafka-ecs', Env: 'test', Name: service },
    imports: { 'kafka-ecs-test-KafkaClusterArn': CLUSTER_ARN },
  };
  // The addon that holds the task role's Kafka permissions (metrics-alarms.yml grants the
  // metrics collector its log group: alarms.test.ts).
  const templates = listFiles(`copilot/${service}/addons`, '.yml')
    .filter((path) => path.endsWith('/kafka-access.yml'))
    .map(readTemplate);
  const statements: Statement[] = [];
  let outputsPolicy = false;
  for (const template of templates) {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const document = evaluate(resource.Properties.PolicyDocument, scope) as {
        Statement: Statement[];
      };
      statements.push(...document.Statement);
      // Copilot attaches to the task role the managed policies a service addon outputs.
      outputsPolicy ||= Object.values(template.Outputs ?? {}).some(
        (output) => (output.Value as { Ref?: string }).Ref === id,
      );
    }
  }
  return { statements, outputsPolicy };
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** Action → the resources it is granted on, as `cluster` or `<type>/<name>` in CLUSTER_ARN. */
function grants(statements: Statement[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    for (const action of list(statement.Action)) {
      for (const resource of list(statement.Resource)) {
        let short: string;
        if (resource === CLUSTER_ARN) {
          short = 'cluster';
        } else {
          const match = resource.match(
            /^(.*):(topic|group|transactional-id)\/([^/]+)\/([^/]+)\/(.+)$/,
          );
          expect(match).not.toBeNull();
          const [, prefix, type, name, uuid, rest] = match as RegExpMatchArray;
          expect({ prefix, name, uuid }).toEqual({
            prefix: PREFIX,
            name: CLUSTER_NAME,
            uuid: CLUSTER_UUID,
          });
          short = `${type}/${rest}`;
        }
        result[action] = [...(result[action] ?? []), short].sort();
      }
    }
  }
  return result;
}

describe('the task roles (service addons kafka-access.yml)', () => {
  const group = String(manifests.consumer.variables.CONSUMER_GROUP_ID);
  const producerTopics = EVENT_TOPICS.map((topic) => `topic/${topic}`).sort();
  const allTopics = Object.values(TOPICS)
    .map((topic) => `topic/${topic}`)
    .sort();
  const failureTopics = [TOPICS.retry, TOPICS.deadLetter].map((topic) => `topic/${topic}`).sort();

  it.each(SERVICES)(
    'when the %s is deployed, then its addon outputs a managed policy for Copilot to attach to the task role',
    (service) => {
      const { statements, outputsPolicy } = policyOf(service);
      expect(statements).not.toHaveLength(0);
      expect(outputsPolicy).toBe(true);
    },
  );

  it.each(SERVICES)(
    'when the %s task role is read, then every Kafka action is named and scoped to the cluster (never *)',
    (service) => {
      const { statements } = policyOf(service);
      for (const statement of statements) {
        for (const action of list(statement.Action)) {
          expect(action).toMatch(/^kafka-cluster:[A-Za-z]+$/);
        }
        for (const resource of list(statement.Resource)) {
          expect(resource.startsWith(`${PREFIX}:`)).toBe(true);
          expect(resource).not.toMatch(/\/\*$/);
        }
      }
      grants(statements);
    },
  );

  it('when the producer task role is read, then it may connect, create and describe the event topics and write them, nothing else', () => {
    expect(grants(policyOf('producer').statements)).toEqual({
      'kafka-cluster:Connect': ['cluster'],
      'kafka-cluster:DescribeCluster': ['cluster'],
      'kafka-cluster:WriteDataIdempotently': ['cluster'],
      'kafka-cluster:CreateTopic': producerTopics,
      'kafka-cluster:DescribeTopic': producerTopics,
      'kafka-cluster:WriteData': producerTopics,
    });
  });

  it('when the consumer task role is read, then it holds its topics, writes only the failure path topics, and its own groups and transactional ids', () => {
    expect(group).toBe('consumer-svc');
    // The manifest keeps the code's topic names, which the policy names.
    for (const variable of ['CONSUMER_TOPICS', 'RETRY_TOPIC', 'DEAD_LETTER_TOPIC']) {
      expect(manifests.consumer.variables[variable]).toBeUndefined();
    }
    const groups = [`group/${group}`, `group/${group}.*`];
    expect(grants(policyOf('consumer').statements)).toEqual({
      'kafka-cluster:Connect': ['cluster'],
      'kafka-cluster:DescribeCluster': ['cluster'],
      'kafka-cluster:WriteDataIdempotently': ['cluster'],
      'kafka-cluster:CreateTopic': allTopics,
      'kafka-cluster:DescribeTopic': allTopics,
      'kafka-cluster:DescribeTopicDynamicConfiguration': allTopics,
      'kafka-cluster:ReadData': allTopics,
      // Never the event topics: a forged event would be trusted by every reader.
      'kafka-cluster:WriteData': failureTopics,
      'kafka-cluster:DescribeGroup': groups,
      'kafka-cluster:AlterGroup': groups,
      'kafka-cluster:DeleteGroup': [`group/${group}.rebuild-*`],
      'kafka-cluster:DescribeTransactionalId': [`transactional-id/${group}.*`],
      'kafka-cluster:AlterTransactionalId': [`transactional-id/${group}.*`],
    });
  });
});
