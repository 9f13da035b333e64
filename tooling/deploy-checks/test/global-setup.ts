import { execFileSync } from 'node:child_process';
import stackUp from '@kafka-ecs/devstack/jest-global-setup';

/**
 * The local stack (the production-bundle test starts the services against it), and cfn-lint,
 * moto and actionlint through the project's own script, so a fresh machine works.
 */
export default async function globalSetup(): Promise<void> {
  await stackUp();
  execFileSync('bash', [`${import.meta.dirname}/../../../scripts/install-deploy-tools.sh`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
}
