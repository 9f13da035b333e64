import { jestPreset } from '@kafka-ecs/testing/jest-preset';

export default {
  ...jestPreset({ stack: true }),
  // The stack's setup plus the Chromium the IDE test needs.
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Two test files at a time (jest's default is one less than the cores: one here). The suites
  // mostly wait on Kafka and Redis, each in names of its own: the suite took 146 s with two
  // workers against 275 s with one, 155 of 155 passing.
  maxWorkers: 2,
};
