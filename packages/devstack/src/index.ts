export { StackError } from './errors.ts';
// The benchmark runs Kafka's own perf tools (kafka-tools) from the same resolved classpath.
export { kafkaClasspath } from './kafka-classpath.ts';
export { kafkaPom, repoRoot, stackDir } from './paths.ts';
export {
  type ComponentState,
  type StackInfo,
  type StackSettings,
  stackDown,
  stackSettings,
  stackStatus,
  stackUp,
} from './stack.ts';
