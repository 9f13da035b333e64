/**
 * Where a V8 CPU profile (node --cpu-prof) spends its time: self time per function and per
 * package, heaviest first. For a flame graph, open the .cpuprofile in Chrome DevTools
 * (Performance → Load profile) or speedscope.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  share: number;
}

/** The package (or project folder) a script URL belongs to. */
export function packageOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const project = url.match(/\/(packages|services)\/([^/]+)\//);
  return project ? `${project[1]}/${project[2]}` : url;
}

/** Self time per function and per package, from the samples' time deltas. */
export function summarizeProfile(profile: CpuProfile): {
  totalMs: number;
  functions: ProfileEntry[];
  packages: ProfileEntry[];
} {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[index] ?? 0));
  });
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    totalUs += us;
    const file = frame.url.split('/').at(-1);
    const where = file ? ` (${packageOf(frame.url)} ${file}:${frame.lineNumber + 1})` : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const pkg = frame.functionName === '(idle)' ? '(idle)' : packageOf(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const rank = (entries: Map<string, number>) =>
    [...entries]
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalUs / 1000, functions: rank(functions), packages: rank(packages) };
}

/**
 * The `count` largest self-time costs over several profiles (one per process a scenario ran),
 * each named with its process and its share of all the samples that were not idle:
 * e.g. `consumer: evalsha (ioredis Redis.js:120) 18.2%`.
 */
export function topCosts(
  profiles: readonly { process: string; profile: CpuProfile }[],
  count = 3,
): string[] {
  const costs = new Map<string, number>();
  let busyMs = 0;
  for (const { process, profile } of profiles) {
    for (const entry of summarizeProfile(profile).functions) {
      if (entry.name.startsWith('(idle)')) continue;
      busyMs += entry.selfMs;
      const name = `${process}: ${entry.name}`;
      costs.set(name, (costs.get(name) ?? 0) + entry.selfMs);
    }
  }
  return [...costs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${name} ${((ms / busyMs) * 100).toFixed(1)}%`);
}
