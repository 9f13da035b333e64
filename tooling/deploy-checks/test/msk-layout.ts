import type { Template } from './cfn.ts';

// How durable the MSK cluster of kafka.yml is, and whether the environment's VPC gives it the
// zones it needs: each function returns the problems it finds, so a must-fail control can show
// which problem a mutated copy has.

/** MSK's ServerProperties text (`key=value` lines) as a record. */
export function serverProperties(template: Template): Record<string, string> {
  const configuration = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::MSK::Configuration',
  );
  const text = String(configuration?.Properties.ServerProperties ?? '');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
      }),
  );
}

/**
 * Replication 3 and min ISR 2 for the topics the services create (the broker defaults), the
 * consumer's offsets and its transactions; three brokers; no unclean leader election.
 */
export function durabilityProblems(template: Template): string[] {
  const problems: string[] = [];
  const cluster = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::MSK::Cluster',
  );
  const brokers = Number(cluster?.Properties.NumberOfBrokerNodes);
  if (!(brokers >= 3)) problems.push(`${brokers} brokers (3 zones need at least 3)`);
  const properties = serverProperties(template);
  const at = (key: string) => Number(properties[key] ?? Number.NaN);
  for (const [replicas, minimum] of [
    ['default.replication.factor', 'min.insync.replicas'],
    ['transaction.state.log.replication.factor', 'transaction.state.log.min.isr'],
  ] as const) {
    if (!(at(replicas) >= 3)) problems.push(`${replicas}=${properties[replicas]}`);
    if (!(at(minimum) >= 2)) problems.push(`${minimum}=${properties[minimum]}`);
    // One broker down must leave enough in-sync replicas for acks=all writes.
    if (!(at(minimum) <= at(replicas) - 1)) {
      problems.push(`${minimum} leaves no room for a broker down`);
    }
    if (!(at(replicas) <= brokers)) problems.push(`${replicas} above the broker count`);
  }
  const offsets = 'offsets.topic.replication.factor';
  if (!(at(offsets) >= 3)) problems.push(`${offsets}=${properties[offsets]}`);
  if (properties['unclean.leader.election.enable'] !== 'false') {
    problems.push('unclean leader election not off');
  }
  return problems;
}

interface Subnet {
  cidr?: string;
  az?: string;
  id?: string;
}

export interface EnvironmentNetwork {
  network?: { vpc?: { cidr?: string; subnets?: { public?: Subnet[]; private?: Subnet[] } } };
}

// Copilot's defaults (internal/pkg/deploy/cloudformation/stack/env.go): an environment created
// with them keeps these two subnets of each only if the manifest names them first.
const COPILOT_DEFAULTS = {
  vpc: '10.0.0.0/16',
  public: ['10.0.0.0/24', '10.0.1.0/24'],
  private: ['10.0.2.0/24', '10.0.3.0/24'],
};

function range(cidr: string): [number, number] {
  const [address = '', bits = ''] = cidr.split('/');
  const octets = address.split('.').map(Number);
  const prefix = Number(bits);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || !(prefix <= 32)) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const start = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  return [start - (start % size), start - (start % size) + size - 1];
}

/**
 * The VPC Copilot builds from an environment manifest: one private subnet per broker zone (the
 * broker count a multiple of it, as MSK requires), a public subnet per zone, in distinct zones,
 * inside the VPC, not overlapping, Copilot's default subnets kept first.
 */
export function subnetProblems(manifest: EnvironmentNetwork, brokers: number): string[] {
  const problems: string[] = [];
  const vpc = manifest.network?.vpc;
  const publicSubnets = vpc?.subnets?.public ?? [];
  const privateSubnets = vpc?.subnets?.private ?? [];
  if (!vpc?.subnets) return ["Copilot's default 2 private subnets (3 zones)"];
  if (privateSubnets.length < 3) {
    problems.push(`${privateSubnets.length} private subnets (3 zones)`);
  } else if (brokers % privateSubnets.length !== 0) {
    problems.push(`${brokers} brokers over ${privateSubnets.length} private subnets`);
  }
  if (publicSubnets.length !== privateSubnets.length) problems.push('public ≠ private subnets');
  const zones = [...publicSubnets, ...privateSubnets].map((subnet) => subnet.az ?? '');
  const named = new Set(privateSubnets.map((subnet) => subnet.az).filter(Boolean));
  if (zones.some(Boolean) && named.size !== privateSubnets.length) problems.push('zones repeat');
  if (publicSubnets.concat(privateSubnets).some((subnet) => subnet.id)) {
    problems.push('imported subnets: not checked here');
  }
  const cidrs = [...publicSubnets, ...privateSubnets].map((subnet) => subnet.cidr ?? '');
  const [vpcStart, vpcEnd] = range(vpc?.cidr ?? COPILOT_DEFAULTS.vpc);
  const ranges = cidrs.map(range);
  ranges.forEach(([start, end], i) => {
    if (start < vpcStart || end > vpcEnd) problems.push(`${cidrs[i]} outside the VPC`);
    ranges.slice(i + 1).forEach(([otherStart, otherEnd], j) => {
      if (start <= otherEnd && otherStart <= end) {
        problems.push(`${cidrs[i]} overlaps ${cidrs[i + 1 + j]}`);
      }
    });
  });
  if ((vpc?.cidr ?? COPILOT_DEFAULTS.vpc) !== COPILOT_DEFAULTS.vpc) problems.push('VPC CIDR moved');
  const kept = (subnets: Subnet[], defaults: string[]) =>
    defaults.every((cidr, i) => subnets[i]?.cidr === cidr);
  if (
    !kept(publicSubnets, COPILOT_DEFAULTS.public) ||
    !kept(privateSubnets, COPILOT_DEFAULTS.private)
  ) {
    problems.push("Copilot's default subnets not kept first (an existing VPC would be replaced)");
  }
  return problems;
}
