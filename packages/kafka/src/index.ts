export { createKafkaClient, type KafkaClientOptions } from './client.ts';
export type { Logger } from './logger.ts';
