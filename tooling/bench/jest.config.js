import { jestPreset } from '@kafka-ecs/testing/jest-preset';

// Unit tests of the pure parts only (statistics, tables, the chart, the result schema); the
// benchmark itself runs with `pnpm bench`, never in `pnpm test`.
export default jestPreset();
