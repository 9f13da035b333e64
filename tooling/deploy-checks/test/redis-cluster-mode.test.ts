import { readTemplate, type Template, underConditions } from './cfn.ts';
import { listEnvironments, readYaml } from './repo.ts';

// ElastiCache cluster mode as an option of the environment addon redis.yml (issue #14): an
// environment whose row in RedisByEnvironment has Shards above 0 gets a Redis Cluster, the
// services are told so by REDIS_CLUSTER (the addon's export), and with 0 nothing changes. The
// choice is a row per environment because Copilot has one addons folder for all of them: a
// parameter would change every environment at once.

const redis = readTemplate('copilot/environments/addons/redis.yml');
/** The environments deployed so far, whose rows must never change (a guard, see below). */
const DEPLOYED_SHARDS = { test: '0', prod: '0' };

type Group = Record<string, unknown>;
const group = (conditions: { ClusterMode: boolean; IsProd: boolean }) =>
  underConditions(redis.Resources.Redis?.Properties as Group, conditions);
const exported = (conditions: { ClusterMode: boolean }) =>
  underConditions(redis.Outputs as NonNullable<Template['Outputs']>, conditions);
const rows = () => redis.Mappings?.RedisByEnvironment ?? {};

describe('Redis Cluster (environment addon redis.yml, a row per environment)', () => {
  it('when the template chooses, then cluster mode is exactly "the row of this environment has Shards above 0"', () => {
    expect(redis.Conditions?.ClusterMode).toEqual({
      'Fn::Not': [
        {
          'Fn::Equals': [
            { 'Fn::FindInMap': ['RedisByEnvironment', { Ref: 'Env' }, 'Shards'] },
            '0',
          ],
        },
      ],
    });
    expect(redis.Parameters).not.toHaveProperty('RedisShards');
  });

  it('when an environment exists in copilot/environments, then it has a row, of a whole number of shards', () => {
    expect(listEnvironments()).toEqual(Object.keys(rows()).sort());
    for (const row of Object.values(rows())) expect(row.Shards).toMatch(/^(0|[1-9]\d?)$/);
  });

  // A deployed group cannot become a cluster in place (docs/deploy.md, "Redis Cluster"): a new
  // environment gets a new row; a change here is a migration, not an edit.
  it('when an environment is already deployed, then its row still says what it was deployed with', () => {
    expect(
      Object.fromEntries(Object.entries(rows()).map(([env, row]) => [env, row.Shards])),
    ).toEqual(DEPLOYED_SHARDS);
  });

  it.each([
    [false, 1],
    [true, 3],
  ])(
    'when cluster mode is off (prod %s), then the group is a primary and %i - 1 replicas, as before',
    (prod, nodes) => {
      const properties = group({ ClusterMode: false, IsProd: prod });
      expect(properties).toMatchObject({
        NumCacheClusters: nodes,
        AutomaticFailoverEnabled: prod,
        TransitEncryptionEnabled: true,
      });
      expect(properties).not.toHaveProperty('NumNodeGroups');
      expect(properties).not.toHaveProperty('ReplicasPerNodeGroup');
      expect(exported({ ClusterMode: false }).RedisCluster?.Value).toBe('false');
    },
  );

  it.each([
    [false, 1],
    [true, 2],
  ])(
    "when cluster mode is on (prod %s), then the row's shards of a primary and %i replicas fail over automatically",
    (prod, replicas) => {
      const properties = group({ ClusterMode: true, IsProd: prod });
      expect(properties).toMatchObject({
        NumNodeGroups: { 'Fn::FindInMap': ['RedisByEnvironment', { Ref: 'Env' }, 'Shards'] },
        ReplicasPerNodeGroup: replicas,
        AutomaticFailoverEnabled: true,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
      });
      expect(properties).not.toHaveProperty('NumCacheClusters');
      const outputs = exported({ ClusterMode: true });
      expect(outputs.RedisCluster?.Value).toBe('true');
      expect(JSON.stringify(outputs.RedisUrl?.Value)).toContain('ConfigurationEndPoint');
    },
  );

  it('when a service starts, then REDIS_CLUSTER is the environment addon export, which the config reads as true or false', () => {
    for (const service of ['producer', 'consumer']) {
      const manifest = readYaml<{ variables: Record<string, unknown> }>(
        `copilot/${service}/manifest.yml`,
      );
      expect(manifest.variables.REDIS_CLUSTER).toEqual({
        from_cfn: `\${COPILOT_APPLICATION_NAME}-\${COPILOT_ENVIRONMENT_NAME}-RedisCluster`,
      });
    }
    expect(redis.Outputs?.RedisCluster?.Export?.Name).toEqual({
      'Fn::Sub': `\${App}-\${Env}-RedisCluster`,
    });
  });

  it('when a condition is not given (control), then reading the template under conditions refuses', () => {
    expect(() => underConditions(redis.Resources.Redis, { IsProd: true })).toThrow(
      'condition not given: ClusterMode',
    );
  });
});
