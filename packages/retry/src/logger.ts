export type { Logger } from '@kafka-ecs/kafka';
