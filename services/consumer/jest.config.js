import { jestPreset } from '@kafka-ecs/testing/jest-preset';

export default {
  ...jestPreset({ stack: true }),
  // The stack's setup plus the Chromium the IDE test needs.
  globalSetup: '<rootDir>/test/global-setup.ts',
};
