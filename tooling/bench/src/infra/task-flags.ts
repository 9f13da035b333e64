import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@kafka-ecs/devstack';
import { parse } from 'yaml';

/**
 * The Node flags a service's ECS task runs with: `NODE_OPTIONS` of its Copilot manifest's
 * `variables` ('' when it sets none), so the bench measures memory and speed under the flags
 * production uses rather than a copy that could drift from them.
 */
export function taskNodeOptions(
  service: 'producer' | 'consumer',
  root: string = repoRoot(),
): string {
  const file = join(root, 'copilot', service, 'manifest.yml');
  const manifest = parse(readFileSync(file, 'utf8')) as { variables?: Record<string, unknown> };
  const flags = manifest.variables?.NODE_OPTIONS ?? '';
  if (typeof flags !== 'string') throw new Error(`${file}: variables.NODE_OPTIONS is not a string`);
  return flags;
}
