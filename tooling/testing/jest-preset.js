// The jest setup every package shares. Tests run as native ES modules (the code is ESM and
// uses import.meta), transformed from TypeScript by SWC, which is much faster than ts-jest.
// Workspace packages resolve to their TypeScript sources through the `kafka-ecs-source` export
// condition, so tests never depend on a stale build.
import { fileURLToPath } from 'node:url';

const resultsReporter = fileURLToPath(new URL('./results-reporter.js', import.meta.url));

/**
 * @param {{ stack?: boolean }} [options] stack: bring the local Kafka + Redis up before the run
 *   (the package then needs @kafka-ecs/devstack as a dev dependency)
 * @returns {import('jest').Config}
 */
export function jestPreset(options = {}) {
  return {
    testEnvironment: 'node',
    testEnvironmentOptions: { customExportConditions: ['kafka-ecs-source', 'node', 'node-addons'] },
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, sourceMaps: 'inline' },
      ],
    },
    reporters: ['default', resultsReporter],
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    ...(options.stack ? { globalSetup: '@kafka-ecs/devstack/jest-global-setup' } : {}),
    // Real infrastructure is slower than a mock; every wait inside a test has its own bound.
    testTimeout: 30_000,
    // In CI the run itself is bounded too: a client a failed test never closed (seen after a
    // failing beforeEach) would otherwise keep jest, and the whole run, waiting until CI's
    // limit, with no summary. Locally jest still waits, so a leak shows where it is fixed.
    forceExit: process.env.CI === 'true',
  };
}
