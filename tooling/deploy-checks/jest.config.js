import { jestPreset } from '@kafka-ecs/testing/jest-preset';

// cfn-lint and actionlint come from scripts/install-deploy-tools.sh, run once before the tests.
export default {
  ...jestPreset(),
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Building and starting the services' production bundles takes a while on a small machine.
  testTimeout: 180_000,
};
