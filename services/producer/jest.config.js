import { jestPreset } from '@kafka-ecs/testing/jest-preset';

export default {
  ...jestPreset({ stack: true }),
  // The stack's setup plus the Chromium the IDE test needs.
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Two test files at a time (jest's default is one less than the cores: one here): the
  // suites mostly wait on Kafka, Redis and the hash pool. 72 s with one worker, 42 s with two.
  maxWorkers: 2,
};
