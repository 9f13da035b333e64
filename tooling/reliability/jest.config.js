import { jestPreset } from '@kafka-ecs/testing/jest-preset';

const preset = jestPreset();

// The scenarios start brokers, Redis and service processes of their own (they kill them), so
// they do not use the shared dev stack, and run one at a time: each loads both cores.
export default {
  ...preset,
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/scenarios/**/*.test.ts'],
  globalSetup: '<rootDir>/scenarios/support/global-setup.ts',
  globalTeardown: '<rootDir>/scenarios/support/global-teardown.ts',
  reporters: [...preset.reporters, '<rootDir>/figures-reporter.js'],
  maxWorkers: 1,
  testTimeout: 120_000,
};
