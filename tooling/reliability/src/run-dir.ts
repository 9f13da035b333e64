import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isAlive,
  redisClusterDown,
  stackSettings,
  stopKafkaCluster,
  stopRedisServer,
} from '@kafka-ecs/devstack';

const ROOT = join(tmpdir(), 'kafka-ecs-reliability');
const OWNER = 'owner.pid';

/**
 * The folder of this run, under which every broker and Redis of the suite keeps its data, so
 * the run's teardown (and the next run, if this one was killed) can find and stop them all.
 * Set by the global setup in RELIABILITY_RUN_DIR.
 */
function runDir(): string {
  const dir = process.env.RELIABILITY_RUN_DIR;
  if (dir) return dir;
  // A scenario run without the global setup (one file from an editor): a folder of its own.
  process.env.RELIABILITY_RUN_DIR = createRunDir();
  return process.env.RELIABILITY_RUN_DIR;
}

export function createRunDir(): string {
  mkdirSync(ROOT, { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'run-'));
  writeFileSync(join(dir, OWNER), String(process.pid));
  return dir;
}

/** A fresh folder for one broker, cluster or Redis of this run. */
export function componentDir(kind: 'kafka' | 'redis' | 'redis-cluster'): string {
  return mkdtempSync(join(runDir(), `${kind}-`));
}

/** The names in `dir`; none when it does not exist. */
function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Stops whatever still runs from the run in `dir` and deletes it. */
export async function cleanRunDir(dir: string): Promise<void> {
  for (const entry of entriesOf(dir)) {
    const path = join(dir, entry);
    if (entry.startsWith('kafka-')) await stopKafkaCluster(path);
    else if (entry.startsWith('redis-cluster-')) {
      await redisClusterDown({ settings: { ...stackSettings(), dir: path } });
    } else if (entry.startsWith('redis-')) await stopRedisServer(path);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Cleans the folders of earlier runs whose process is gone (a run killed before its teardown). */
export async function cleanAbandonedRuns(): Promise<void> {
  for (const run of entriesOf(ROOT)) {
    const dir = join(ROOT, run);
    let owner = 0;
    try {
      owner = Number.parseInt(readFileSync(join(dir, OWNER), 'utf8'), 10);
    } catch {
      // No owner file: not a run folder this code made; leave it.
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) await cleanRunDir(dir);
  }
}
