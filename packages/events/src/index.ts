export {
  DEFAULT_PARTITIONS,
  EVENT_TOPICS,
  TOPIC_CONFIG,
  type TopicName,
  Topics,
} from './topics.ts';
