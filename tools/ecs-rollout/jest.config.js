import { jestPreset } from '@kafka-ecs/testing/jest-preset';

// The moto ECS emulator comes from scripts/install-deploy-tools.sh, run once before the tests.
export default { ...jestPreset(), globalSetup: '<rootDir>/test/global-setup.ts' };
