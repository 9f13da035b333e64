export {
  createEvent,
  type DecodeFailure,
  type DomainEvent,
  decodeEvent,
  EventDecodeError,
  type EventType,
  encodeEvent,
  type IssuedTokenEvent,
  type NewUserCreatedEvent,
  topicOf,
} from './codec.ts';
export { type Envelope, type EventDefinition, envelopeSchema } from './envelope.ts';
export {
  DEAD_LETTER_REASONS,
  type DeadLetterReason,
  FAILURE_PATH_STEPS,
  FailureHeaders,
  type FailurePathStep,
  isFailureHeader,
} from './failure-headers.ts';
export { IssuedTokenV1, type IssuedTokenV1Data, issuedTokenV1Data } from './issued-token.v1.ts';
export { eventJsonSchemas } from './json-schema.ts';
export {
  NewUserCreatedV1,
  type NewUserCreatedV1Data,
  newUserCreatedV1Data,
} from './new-user-created.v1.ts';
export {
  DEFAULT_PARTITIONS,
  EVENT_TOPICS,
  TOPIC_CONFIG,
  type TopicName,
  Topics,
} from './topics.ts';
