import { jestPreset } from '@kafka-ecs/testing/jest-preset';

// cfn-lint and actionlint come from scripts/install-deploy-tools.sh, run once before the tests.
export default {
  ...jestPreset(),
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Building and starting the services' production bundles takes a while on a small machine.
  testTimeout: 180_000,
  // Two files at a time (jest's default is one less than the cores: one here). Most of the time
  // goes to child processes (checkov, cfn-lint, git and pnpm in scratch clones, the bundles'
  // builds): 67 s with two workers against 108 s with one, 308 of 308 passing.
  maxWorkers: 2,
};
