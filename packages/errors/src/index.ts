export { KafkaEcsError, type KafkaEcsErrorOptions, retriableOf } from './kafka-ecs-error.ts';
