import { repoRoot } from '@kafka-ecs/devstack';
import stackUp from '@kafka-ecs/devstack/jest-global-setup';
import { installTestBrowser } from '@kafka-ecs/testing/browser';

/**
 * The local stack, plus Debian's Chromium for the IDE test, installed by the project's own
 * script so the test runs (never skips) on a fresh machine.
 */
export default async function globalSetup(): Promise<void> {
  await stackUp();
  installTestBrowser(repoRoot());
}
