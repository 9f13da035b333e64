import { jestPreset } from '@kafka-ecs/testing/jest-preset';

// `test`: unit tests of the pure parts (statistics, tables, the chart, the result schema, the
// tools' command lines and settings). `test:secure` runs test-secure/ (Kafka's perf tools
// against the secure stack). The benchmark itself runs with `pnpm bench`, never in `pnpm test`.
export default jestPreset();
