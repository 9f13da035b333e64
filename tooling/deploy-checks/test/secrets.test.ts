import {
  evaluate,
  PSEUDO,
  readCloudFormationYaml,
  readTemplate,
  type Scope,
  underConditions,
} from './cfn.ts';
import { listFiles, readText, readYaml } from './repo.ts';

// The deployed services' secrets (docs/deploy.md, "Secrets"): Redis takes TLS with an AUTH token
// that Secrets Manager generates, every secret a service reads reaches it as a Copilot secret
// (never a plain variable), and the role that fetches them may read exactly those secrets.

const redis = readTemplate('copilot/environments/addons/redis.yml');
const tokenSecret = readTemplate('copilot/environments/addons/token-secret.yml');
const group = redis.Resources.Redis?.Properties ?? {};

const SERVICES = ['producer', 'consumer'] as const;
type Service = (typeof SERVICES)[number];

interface ServiceManifest {
  variables: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  env_file?: unknown;
  environments?: Record<string, { variables?: Record<string, unknown> } | null>;
}

const manifests = Object.fromEntries(
  SERVICES.map((name) => [name, readYaml<ServiceManifest>(`copilot/${name}/manifest.yml`)]),
) as Record<Service, ServiceManifest>;

// The variables that hold a credential. KAFKA_SASL_PASSWORD stays unset on AWS (MSK IAM).
const SECRET_VARIABLES = ['REDIS_URL', 'TOKEN_SECRET', 'ADMIN_TOKEN', 'OPERATOR_TOKENS'];
// A team may add these as secrets when it uses them (the runbook says how); never as variables.
const OPTIONAL_SECRETS: Record<Service, string[]> = {
  consumer: ['ALERT_WEBHOOK_URL'],
  producer: [],
};
const CREDENTIALS = [...SECRET_VARIABLES, 'KAFKA_SASL_PASSWORD', 'ALERT_WEBHOOK_URL'];

/** Which of SECRET_VARIABLES a service's configuration schema reads, from the source itself. */
function variablesRead(service: Service): string[] {
  const own = readText(`packages/config/src/${service}-config.ts`);
  const common = readText('packages/config/src/fields.ts');
  const commonFields = common.match(/export const commonSchema = z\.object\(\{([^}]*)\}\)/)?.[1];
  expect(own).toMatch(/= commonSchema\s*\.extend\(/);
  return SECRET_VARIABLES.filter((name) =>
    [own, commonFields ?? ''].some((source) => new RegExp(`^\\s+${name}:`, 'm').test(source)),
  ).sort();
}

/** A `{{resolve:secretsmanager:${X}:SecretString}}` reference: X, the referenced resource. */
const REFERENCE = /\{\{resolve:secretsmanager:\$\{(\w+)\}:SecretString\}\}/;

// What Secrets Manager's GenerateSecretString picks from (its punctuation set is these 32).
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = UPPER.toLowerCase();
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

interface GenerateOptions {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  IncludeSpace?: boolean;
}

function generatable(options: GenerateOptions): string[] {
  const pool = [
    options.ExcludeUppercase ? '' : UPPER,
    options.ExcludeLowercase ? '' : LOWER,
    options.ExcludeNumbers ? '' : DIGITS,
    options.ExcludePunctuation ? '' : PUNCTUATION,
    options.IncludeSpace ? ' ' : '',
  ].join('');
  return [...pool].filter((char) => !(options.ExcludeCharacters ?? '').includes(char));
}

// ElastiCache's AUTH token: letters, digits and !&#$^<>-, 16 to 128 of them. In a URL only
// RFC 3986's unreserved characters pass every parser unchanged.
const ELASTICACHE_TOKEN = /^[A-Za-z0-9!&#$^<>-]$/;
const URL_UNRESERVED = /^[A-Za-z0-9._~-]$/;

describe('Redis (environment addon redis.yml)', () => {
  it('when a client connects, then only TLS is accepted (transit encryption on, never "preferred")', () => {
    expect(redis.Resources.Redis?.Type).toBe('AWS::ElastiCache::ReplicationGroup');
    expect(group.TransitEncryptionEnabled).toBe(true);
    // "preferred" would accept plaintext clients too; unset means required.
    expect(group.TransitEncryptionMode ?? 'required').toBe('required');
    const ingress = Object.values(redis.Resources)
      .filter((resource) => resource.Type === 'AWS::EC2::SecurityGroup')
      .flatMap((sg) => (sg.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[]);
    expect(ingress).not.toHaveLength(0);
    for (const rule of ingress) {
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379 });
      expect(rule.SourceSecurityGroupId).toBeDefined();
      expect(rule.CidrIp).toBeUndefined();
    }
  });

  it('when the replication group is created or updated, then its AuthToken is the secret Secrets Manager generated here', () => {
    const authToken = group.AuthToken as { 'Fn::Sub'?: string } | undefined;
    expect(authToken).toBeDefined();
    // The whole value is the reference: nothing of the token is written in the template.
    const referenced = authToken?.['Fn::Sub']?.match(new RegExp(`^${REFERENCE.source}$`))?.[1];
    expect(referenced).toBeDefined();
    const secret = redis.Resources[referenced as string];
    expect(secret?.Type).toBe('AWS::SecretsManager::Secret');
    expect(secret?.Properties.GenerateSecretString).toBeDefined();
    expect(secret?.Properties.SecretString).toBeUndefined();
  });

  it('when Secrets Manager generates the token, then ElastiCache accepts its length and every character it may pick, and a URL carries them unescaped', () => {
    const referenced = String((group.AuthToken as { 'Fn::Sub': string })['Fn::Sub']).match(
      REFERENCE,
    )?.[1] as string;
    const options = redis.Resources[referenced]?.Properties.GenerateSecretString as GenerateOptions;
    const length = options.PasswordLength ?? 32;
    expect(length).toBeGreaterThanOrEqual(32); // ElastiCache takes 16; 32 and up for strength
    expect(length).toBeLessThanOrEqual(128);
    const characters = generatable(options);
    expect(characters.length).toBeGreaterThanOrEqual(62);
    expect(characters.filter((char) => !ELASTICACHE_TOKEN.test(char))).toEqual([]);
    expect(characters.filter((char) => !URL_UNRESERVED.test(char))).toEqual([]);
  });

  it.each([
    ['one primary (Shards 0)', false, 'PrimaryEndPoint'],
    ['a Redis Cluster (Shards > 0)', true, 'ConfigurationEndPoint'],
  ])(
    'when the services read the REDIS_URL secret of %s, then it is rediss://:<that token>@<its endpoint>:<port>',
    (_, cluster, endpoint) => {
      const urlSecret = underConditions(redis.Resources.RedisUrlSecret, { ClusterMode: cluster });
      expect(urlSecret?.Type).toBe('AWS::SecretsManager::Secret');
      const template = String(
        (urlSecret?.Properties.SecretString as { 'Fn::Sub'?: string } | undefined)?.['Fn::Sub'],
      );
      const authToken = (group.AuthToken as { 'Fn::Sub': string })['Fn::Sub'];
      // The same secret as AuthToken, so the URL's credentials are the group's.
      expect(template.match(REFERENCE)?.[0]).toBe(authToken);
      const token = generatable({ ExcludePunctuation: true }).join('').slice(0, 64);
      const host = 'master.kafka-ecs-test-redis.abc123.euw1.cache.amazonaws.com';
      const url = new URL(
        template
          .replace(REFERENCE, token)
          .replace(`\${Redis.${endpoint}.Address}`, host)
          .replace(`\${Redis.${endpoint}.Port}`, '6379'),
      );
      expect({
        protocol: url.protocol,
        username: url.username,
        password: url.password,
        host: url.host,
        path: url.pathname,
      }).toEqual({
        protocol: 'rediss:',
        username: '',
        password: token,
        host: `${host}:6379`,
        path: '',
      });
    },
  );

  it('when the addon is deployed, then no output carries the token, and the URL secret is exported by ARN', () => {
    expect(JSON.stringify(redis.Outputs)).not.toContain('resolve:secretsmanager');
    expect(redis.Outputs?.RedisUrlSecretArn).toEqual({
      Description: expect.any(String),
      Value: { Ref: 'RedisUrlSecret' },
      Export: { Name: { 'Fn::Sub': `\${App}-\${Env}-RedisUrlSecretArn` } },
    });
    expect(tokenSecret.Outputs?.TokenSecretArn).toEqual({
      Description: expect.any(String),
      Value: { Ref: 'TokenSecret' },
      Export: { Name: { 'Fn::Sub': `\${App}-\${Env}-TokenSecretArn` } },
    });
  });
});

describe('the token-signing secret (environment addon token-secret.yml)', () => {
  it('when Secrets Manager generates TOKEN_SECRET, then it is as long as both services configurations demand', () => {
    const generated = tokenSecret.Resources.TokenSecret?.Properties.GenerateSecretString as
      | GenerateOptions
      | undefined;
    expect(tokenSecret.Resources.TokenSecret?.Properties.SecretString).toBeUndefined();
    // The minimum the config schemas enforce (`TOKEN_SECRET: z.string().min(32, …)` or alike).
    const minimums = [
      'packages/config/src/producer-config.ts',
      'packages/config/src/fields.ts',
    ].map((path) =>
      Number(readText(path).match(/(?:TOKEN_SECRET|tokenSecret)[^\n]*?\.min\((\d+)/)?.[1]),
    );
    expect(minimums.every((minimum) => minimum >= 16)).toBe(true);
    expect(generated?.PasswordLength ?? 32).toBeGreaterThanOrEqual(Math.max(...minimums));
  });
});

const exportOf = (name: string) => ({
  from_cfn: `\${COPILOT_APPLICATION_NAME}-\${COPILOT_ENVIRONMENT_NAME}-${name}`,
});
const parameterOf = (name: string) =>
  `/copilot/\${COPILOT_APPLICATION_NAME}/\${COPILOT_ENVIRONMENT_NAME}/secrets/${name}`;

// Generated by the environment addons (imported by ARN) or chosen by people (SSM SecureStrings
// written by `copilot secret init`).
const SOURCES: Record<string, unknown> = {
  REDIS_URL: exportOf('RedisUrlSecretArn'),
  TOKEN_SECRET: exportOf('TokenSecretArn'),
  ADMIN_TOKEN: parameterOf('ADMIN_TOKEN'),
  OPERATOR_TOKENS: parameterOf('OPERATOR_TOKENS'),
  ALERT_WEBHOOK_URL: parameterOf('ALERT_WEBHOOK_URL'),
};

describe.each(SERVICES)('the %s manifest', (service) => {
  const manifest = manifests[service];

  it('when it starts, then each credential its configuration reads comes as a Copilot secret, and no other', () => {
    const optional = new Set(OPTIONAL_SECRETS[service]);
    const required = Object.keys(manifest.secrets ?? {}).filter((name) => !optional.has(name));
    expect(required.sort()).toEqual(variablesRead(service));
  });

  it('when it starts, then each secret comes from the addon export or the SSM path it belongs to', () => {
    for (const [name, source] of Object.entries(manifest.secrets ?? {})) {
      expect({ name, source }).toEqual({ name, source: SOURCES[name] });
    }
  });

  it('when any environment is deployed, then no credential is a plain variable or a value in one', () => {
    const overrides = Object.values(manifest.environments ?? {}).map((env) => env?.variables);
    for (const variables of [manifest.variables, ...overrides]) {
      for (const name of CREDENTIALS) expect(variables?.[name]).toBeUndefined();
      // Not even under another name: no Redis URL with or without credentials.
      expect(JSON.stringify(variables ?? {})).not.toMatch(/rediss?:\/\//);
    }
    // An env file would bypass both checks.
    expect(manifest.env_file).toBeUndefined();
  });
});

it('when the services are compared, then only the consumer, which has operator operations, gets operator tokens', () => {
  expect(variablesRead('consumer')).toEqual([
    'ADMIN_TOKEN',
    'OPERATOR_TOKENS',
    'REDIS_URL',
    'TOKEN_SECRET',
  ]);
  expect(variablesRead('producer')).toEqual(['REDIS_URL', 'TOKEN_SECRET']);
});

// The execution roles' secrets policies, worked out for an example environment.
const ARN = `${PSEUDO['AWS::Region']}:${PSEUDO['AWS::AccountId']}`;
const ARTIFACT_KEY = `arn:aws:kms:${ARN}:key/0a1b2c3d-artifact`;
const EXPORTED: Record<string, string> = {
  'kafka-ecs-test-RedisUrlSecretArn': `arn:aws:secretsmanager:${ARN}:secret:kafka-ecs/test/redis-url-AbCdEf`,
  'kafka-ecs-test-TokenSecretArn': `arn:aws:secretsmanager:${ARN}:secret:kafka-ecs/test/token-secret-GhIjKl`,
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

interface Patch {
  op: string;
  path: string;
  value?: unknown;
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** The execution role's secrets statements after the service's YAML patch, evaluated. */
function executionRoleStatements(service: Service): Statement[] {
  const patches = readCloudFormationYaml<Patch[]>(`copilot/${service}/overrides/cfn.patches.yml`);
  const touching = patches.filter((patch) => patch.path.startsWith('/Resources/ExecutionRole'));
  // Copilot's secrets policy is Policies/0 of ExecutionRole (its executionrole.yml partial).
  expect(touching.map(({ op, path }) => ({ op, path }))).toEqual([
    {
      op: 'replace',
      path: '/Resources/ExecutionRole/Properties/Policies/0/PolicyDocument/Statement',
    },
  ]);
  const scope: Scope = {
    params: {
      AppName: 'kafka-ecs',
      EnvName: 'test',
      WorkloadName: service,
      ArtifactKeyARN: ARTIFACT_KEY,
    },
    imports: EXPORTED,
  };
  return evaluate(touching[0]?.value, scope) as Statement[];
}

/** What ECS needs to fetch a manifest's secrets: action → the exact resources. */
function needed(manifest: ServiceManifest): Record<string, string[]> {
  const result: Record<string, string[]> = { 'kms:Decrypt': [ARTIFACT_KEY] };
  for (const source of Object.values(manifest.secrets ?? {})) {
    const substitute = (text: string) =>
      text
        .replaceAll(`\${COPILOT_APPLICATION_NAME}`, 'kafka-ecs')
        .replaceAll(`\${COPILOT_ENVIRONMENT_NAME}`, 'test');
    let action: string;
    let resource: string | undefined;
    if (typeof source === 'string' && source.startsWith('/')) {
      action = 'ssm:GetParameters';
      resource = `arn:aws:ssm:${ARN}:parameter${substitute(source)}`;
    } else {
      action = 'secretsmanager:GetSecretValue';
      resource = EXPORTED[substitute((source as { from_cfn: string }).from_cfn)];
    }
    expect(resource).toBeDefined();
    result[action] = [...(result[action] ?? []), resource as string].sort();
  }
  return result;
}

/** Action → resources a statement list grants; a wildcard resource or a condition is a problem. */
function granted(statements: Statement[]): {
  grants: Record<string, string[]>;
  problems: string[];
} {
  const grants: Record<string, string[]> = {};
  const problems: string[] = [];
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') problems.push(`${statement.Effect} statement`);
    if (statement.Condition) problems.push('a condition (tags) instead of ARNs');
    for (const action of list(statement.Action)) {
      for (const resource of list(statement.Resource)) {
        if (resource.includes('*')) problems.push(`${action} on ${resource}`);
        grants[action] = [...(grants[action] ?? []), resource].sort();
      }
    }
  }
  return { grants, problems };
}

describe('the execution roles (copilot/<service>/overrides/cfn.patches.yml)', () => {
  it.each(SERVICES)(
    'when the %s task starts, then its execution role may read exactly the manifest secrets, by ARN',
    (service) => {
      const { grants, problems } = granted(executionRoleStatements(service));
      expect(problems).toEqual([]);
      expect(grants).toEqual(needed(manifests[service]));
    },
  );

  it("when Copilot's own secrets policy is checked the same way, then it is refused (the check is real)", () => {
    // The shape Copilot generates without the patch: every tagged secret of the environment.
    const tagged: Statement = {
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: `arn:aws:secretsmanager:${ARN}:secret:*`,
      Condition: { StringEquals: { 'secretsmanager:ResourceTag/copilot-environment': 'test' } },
    };
    expect(granted([tagged]).problems).toEqual([
      'a condition (tags) instead of ARNs',
      `secretsmanager:GetSecretValue on arn:aws:secretsmanager:${ARN}:secret:*`,
    ]);
  });

  it.each(SERVICES)(
    'when the %s code runs, then its task role reads no secret (its addons grant no ssm, secretsmanager or kms action)',
    (service) => {
      for (const path of listFiles(`copilot/${service}/addons`, '.yml')) {
        expect(readText(path)).not.toMatch(/\b(ssm|secretsmanager|kms):/);
      }
    },
  );
});
