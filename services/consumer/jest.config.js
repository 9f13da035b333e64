import { jestPreset } from '@kafka-ecs/testing/jest-preset';

export default {
  ...jestPreset({ stack: true }),
  // The stack's setup plus the Chromium the IDE test needs.
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Three test files at a time (jest's default is one less than the cores: one here). The
  // suites mostly wait on Kafka and Redis, each in names of its own: 275 s with one worker,
  // 146 s with two, 114 s with three (223 of 223 passing, twice; 2026-12-06).
  maxWorkers: 3,
  // `it.concurrent` tests of one file at once (crash-safety's kill points).
  maxConcurrency: 3,
};
