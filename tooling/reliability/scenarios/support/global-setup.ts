import { stackClasspath } from '@kafka-ecs/devstack';
import { cleanAbandonedRuns, createRunDir } from '../../src/index.ts';

/**
 * Stops what an earlier, killed run left behind, resolves the Kafka jars once (Maven, slow only
 * on a cold machine) and makes this run's folder, where every broker and Redis of the suite lives.
 */
export default async function globalSetup(): Promise<void> {
  await cleanAbandonedRuns();
  await stackClasspath();
  process.env.RELIABILITY_RUN_DIR = createRunDir();
}
