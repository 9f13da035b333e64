import { cleanRunDir } from '../../src/index.ts';

/** Stops any broker or Redis a failed scenario left running, and deletes the run's folder. */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.RELIABILITY_RUN_DIR;
  if (dir) await cleanRunDir(dir);
}
