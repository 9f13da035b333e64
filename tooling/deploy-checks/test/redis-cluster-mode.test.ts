import { readTemplate, type Template, underConditions } from './cfn.ts';
import { readText, readYaml } from './repo.ts';

// ElastiCache cluster mode as an option of the environment addon redis.yml (issue #14): with
// RedisShards above 0 the environment's Redis is a Redis Cluster, the services are told so by
// REDIS_CLUSTER (the addon's export), and with 0 (the default) nothing changes.

const redis = readTemplate('copilot/environments/addons/redis.yml');
type Group = Record<string, unknown>;
const group = (conditions: { ClusterMode: boolean; IsProd: boolean }) =>
  underConditions(redis.Resources.Redis?.Properties as Group, conditions);
const exported = (conditions: { ClusterMode: boolean }) =>
  underConditions(redis.Outputs as NonNullable<Template['Outputs']>, conditions);

describe('Redis Cluster (environment addon redis.yml, RedisShards)', () => {
  it('when nothing is set, then RedisShards is 0: one primary, no cluster mode', () => {
    expect(redis.Parameters?.RedisShards).toMatchObject({ Type: 'Number', Default: 0 });
    const values = readYaml<{ Parameters: Record<string, unknown> }>(
      'copilot/environments/addons/addons.parameters.yml',
    ).Parameters;
    expect(values.RedisShards).toBe(0);
    expect(readText('copilot/environments/addons/redis.yml')).toMatch(
      /ClusterMode: !Not \[!Equals \[!Ref RedisShards, "0"\]\]/,
    );
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
    'when cluster mode is on (prod %s), then RedisShards shards of a primary and %i replicas fail over automatically',
    (prod, replicas) => {
      const properties = group({ ClusterMode: true, IsProd: prod });
      expect(properties).toMatchObject({
        NumNodeGroups: { Ref: 'RedisShards' },
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
    expect(readText('packages/config/src/fields.ts')).toMatch(/REDIS_CLUSTER: z\.stringbool\(/);
  });

  it('when a condition is not given (control), then reading the template under conditions refuses', () => {
    expect(() => underConditions(redis.Resources.Redis, { IsProd: true })).toThrow(
      'condition not given: ClusterMode',
    );
  });
});
