import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOPIC_CONFIG } from '@kafka-ecs/events';
import { withKafkaAdmin } from '@kafka-ecs/testing';

/** Below this many partition folders the broker is far from its open-file limit: no scan. */
const PRUNE_ABOVE_PARTITIONS = 4_000;
/** No test runs this long, so a topic untouched for it is no test's any more. */
const STALE_AFTER_MS = 60 * 60_000;

/**
 * Deletes the topics that tests left behind on the stack's own broker. Every test makes unique
 * topics of 8 partitions and none deletes them, so a long-lived dev stack gathers thousands of
 * partition folders until the broker, which keeps files open for each, dies at start-up with
 * "Too many open files". Only topics outside the contract whose folders have not been written
 * for an hour go, so a test running now (in another package's jest) keeps its own.
 * Returns the deleted topics' names.
 */
export async function pruneStaleTopics(options: {
  brokers: string[];
  dataDir: string;
  now?: number;
}): Promise<string[]> {
  const folders = readdirSync(options.dataDir, { withFileTypes: true }).filter((entry) =>
    entry.isDirectory(),
  );
  if (folders.length < PRUNE_ABOVE_PARTITIONS) return [];
  const cutoff = (options.now ?? Date.now()) - STALE_AFTER_MS;
  const lastWrite = new Map<string, number>();
  for (const folder of folders) {
    const match = /^(.+)-\d+$/.exec(folder.name);
    const topic = match?.[1];
    if (!topic || topic.startsWith('__') || topic in TOPIC_CONFIG) continue;
    lastWrite.set(
      topic,
      Math.max(lastWrite.get(topic) ?? 0, newestFile(join(options.dataDir, folder.name))),
    );
  }
  const stale = [...lastWrite].filter(([, at]) => at < cutoff).map(([topic]) => topic);
  if (stale.length === 0) return [];
  await withKafkaAdmin({ brokers: options.brokers, clientId: 'devstack-prune' }, async (admin) => {
    // In slices: one request naming thousands of topics would outlast the request timeout.
    for (let start = 0; start < stale.length; start += 500) {
      await admin.deleteTopics(stale.slice(start, start + 500), { timeoutMs: 60_000 });
    }
  });
  return stale;
}

/** The newest modification time of the files in a partition folder (its segments, indexes). */
function newestFile(folder: string): number {
  // A segment the broker deletes meanwhile has no time: not an error.
  const mtime = (path: string) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  let newest = mtime(folder);
  for (const name of readdirSync(folder)) newest = Math.max(newest, mtime(join(folder, name)));
  return newest;
}
