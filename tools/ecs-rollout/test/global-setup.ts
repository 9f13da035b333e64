import { execFileSync } from 'node:child_process';

/** Installs moto (the ECS emulator) through the project's own script, so a fresh machine works. */
export default function globalSetup(): void {
  execFileSync('bash', [`${import.meta.dirname}/../../../scripts/install-deploy-tools.sh`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
}
