import { readTemplate, type Template } from './cfn.ts';
import {
  durabilityProblems,
  type EnvironmentNetwork,
  serverProperties,
  subnetProblems,
} from './msk-layout.ts';
import { listEnvironments, readYaml } from './repo.ts';

// MSK as durable as the guarantees docs/reliability.md proves (issue #14): three brokers in
// three availability zones, replication 3 and min.insync.replicas 2, so one broker or one zone
// down loses no acknowledged record and still takes writes. TLS-only and IAM: msk-iam.test.ts.

const kafka = readTemplate('copilot/environments/addons/kafka.yml');
const cluster = kafka.Resources.KafkaCluster?.Properties ?? {};
const brokers = Number(cluster.NumberOfBrokerNodes);
const ENVIRONMENTS = listEnvironments();
const environment = (env: string) =>
  readYaml<EnvironmentNetwork>(`copilot/environments/${env}/manifest.yml`);

/** A copy of kafka.yml with one server property set to another value. */
function withProperty(key: string, value: string): Template {
  const copy = structuredClone(kafka);
  const configuration = copy.Resources.KafkaConfiguration?.Properties ?? {};
  configuration.ServerProperties = String(configuration.ServerProperties).replace(
    new RegExp(`^${key.replaceAll('.', '\\.')}=.*$`, 'm'),
    `${key}=${value}`,
  );
  return copy;
}

describe('MSK durability (environment addon kafka.yml)', () => {
  it('when a record is acknowledged, then three brokers hold it and two must have it (replication 3, min ISR 2)', () => {
    expect(durabilityProblems(kafka)).toEqual([]);
    expect(serverProperties(kafka)).toMatchObject({
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
    });
    expect(brokers).toBe(3);
  });

  it("when the brokers are placed, then they use the environment's private subnets, one per zone", () => {
    expect((cluster.BrokerNodeGroupInfo as { ClientSubnets: unknown }).ClientSubnets).toEqual({
      'Fn::Split': [',', { 'Fn::ImportValue': { 'Fn::Sub': `\${App}-\${Env}-PrivateSubnets` } }],
    });
  });

  it.each(ENVIRONMENTS)(
    'when the %s environment is deployed, then its VPC has a private subnet in each of three zones for the brokers',
    (env) => {
      expect(subnetProblems(environment(env), brokers)).toEqual([]);
      expect(environment(env).network?.vpc?.subnets?.private).toHaveLength(3);
    },
  );
});

// Must-fail controls: mutated copies the checks above must reject.
describe('the durability checks are real', () => {
  it('when the addon is as it was (2 brokers, replication 2, min ISR 1), then every weakness is reported', () => {
    const before = withProperty('min.insync.replicas', '1');
    const properties = before.Resources.KafkaConfiguration?.Properties ?? {};
    properties.ServerProperties = String(properties.ServerProperties).replace(
      'default.replication.factor=3',
      'default.replication.factor=2',
    );
    (
      before.Resources.KafkaCluster as { Properties: Record<string, unknown> }
    ).Properties.NumberOfBrokerNodes = 2;
    expect(durabilityProblems(before)).toEqual([
      '2 brokers (3 zones need at least 3)',
      'default.replication.factor=2',
      'min.insync.replicas=1',
      'transaction.state.log.replication.factor above the broker count',
    ]);
  });

  it('when min ISR equals the replication factor, then a broker down would stop writes, and it is reported', () => {
    expect(durabilityProblems(withProperty('min.insync.replicas', '3'))).toEqual([
      'min.insync.replicas leaves no room for a broker down',
    ]);
  });

  it('when unclean leader election or the transaction log replication is weakened, then it is reported', () => {
    expect(durabilityProblems(withProperty('unclean.leader.election.enable', 'true'))).toEqual([
      'unclean leader election not off',
    ]);
    expect(durabilityProblems(withProperty('transaction.state.log.min.isr', '1'))).toEqual([
      'transaction.state.log.min.isr=1',
    ]);
  });

  it("when an environment keeps Copilot's default VPC (two private subnets), then it is reported", () => {
    expect(subnetProblems({}, 3)).toEqual(["Copilot's default 2 private subnets (3 zones)"]);
  });

  it('when subnets overlap, leave the VPC or move Copilot defaults, then each is reported', () => {
    const mutated: EnvironmentNetwork = structuredClone(environment('prod'));
    const subnets = mutated.network?.vpc?.subnets;
    if (!subnets?.private || !subnets.public) throw new Error('no subnets in prod');
    subnets.private[2] = { cidr: '10.0.0.128/25' };
    subnets.public[2] = { cidr: '10.1.0.0/24' };
    expect(subnetProblems(mutated, 3)).toEqual([
      '10.0.0.0/24 overlaps 10.0.0.128/25',
      '10.1.0.0/24 outside the VPC',
    ]);
    subnets.private.reverse();
    expect(subnetProblems(mutated, 3)).toContain(
      "Copilot's default subnets not kept first (an existing VPC would be replaced)",
    );
  });

  it('when the broker count is not a multiple of the private subnets, then it is reported', () => {
    expect(subnetProblems(environment('test'), 4)).toEqual(['4 brokers over 3 private subnets']);
  });
});

describe('MSK Kafka version and brokers (environment addon kafka.yml, a row per environment)', () => {
  const rows = kafka.Mappings?.KafkaByEnvironment ?? {};
  const row = (field: string) => ({
    'Fn::FindInMap': ['KafkaByEnvironment', { Ref: 'Env' }, field],
  });
  /** The environments deployed so far, whose Version must never change (a guard, see below). */
  const DEPLOYED_VERSIONS = { test: '3.9.x', prod: '3.9.x' };
  const OFFERED = ['3.9.x', '3.9.x.kraft', '4.0.x.kraft', '4.1.x.kraft'];

  it("when a cluster is created, then it runs its environment's version and size, and its configuration is for exactly that version", () => {
    expect(cluster.KafkaVersion).toEqual(row('Version'));
    expect(kafka.Resources.KafkaConfiguration?.Properties.KafkaVersionsList).toEqual([
      row('Version'),
    ]);
    expect((cluster.BrokerNodeGroupInfo as { InstanceType: unknown }).InstanceType).toEqual(
      row('BrokerType'),
    );
    expect(kafka.Parameters).not.toHaveProperty('KafkaVersion');
    expect(kafka.Parameters).not.toHaveProperty('BrokerInstanceType');
  });

  it('when an environment exists in copilot/environments, then it has a row: a version MSK offers, 4.x only in KRaft mode and not on kafka.t3.small', () => {
    expect(listEnvironments()).toEqual(Object.keys(rows).sort());
    for (const { Version, BrokerType } of Object.values(rows)) {
      expect(OFFERED).toContain(Version);
      expect(BrokerType).toMatch(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/);
      if (Version?.startsWith('4.')) expect(BrokerType).not.toBe('kafka.t3.small');
    }
  });

  // A changed KafkaVersionsList replaces the named configuration, which CloudFormation refuses,
  // and ZooKeeper-to-KRaft is an MSK migration (docs/deploy.md, "Kafka versions"): a new
  // environment gets a new row; a change here is a migration, not an edit.
  it('when an environment is already deployed, then its row still has the version it was deployed with', () => {
    expect(Object.fromEntries(Object.entries(rows).map(([env, r]) => [env, r.Version]))).toEqual(
      DEPLOYED_VERSIONS,
    );
  });
});
