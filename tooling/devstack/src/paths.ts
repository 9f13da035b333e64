import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The monorepo's root: the nearest folder above this file that holds pnpm-workspace.yaml. */
export function repoRoot(from: string = import.meta.dirname): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Everything the stack writes (data, logs, PID files) lives here; git ignores it. */
export function stackDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STACK_DIR ? resolve(env.STACK_DIR) : join(repoRoot(), '.stack');
}

/** The POM that names the Kafka jars; they resolve into the ordinary Maven repository. */
export function kafkaPom(): string {
  return join(import.meta.dirname, '..', 'kafka', 'pom.xml');
}
