import { jestPreset } from '@kafka-ecs/testing/jest-preset';

export default jestPreset();
