import { type DomainEvent, type EventType, encodeEvent, topicOf } from '@kafka-ecs/events';
import type { Publisher } from '@kafka-ecs/kafka';
import { DependencyUnavailableError } from '../domain/errors.ts';
import type { EventPublisher } from '../domain/ports.ts';
import type { ProducerMetrics } from './metrics.ts';

/**
 * The domain's EventPublisher over the shared Kafka publisher: JSON envelope as the value, the
 * event's type and id as headers (readable without decoding), Kafka failures as
 * DependencyUnavailableError. `topicFor` lets tests publish to their own topics.
 */
export function createKafkaEventPublisher(options: {
  publisher: Publisher;
  metrics: ProducerMetrics;
  topicFor?: (type: EventType) => string;
}): EventPublisher {
  const topicFor = options.topicFor ?? topicOf;
  return {
    async publish(event: DomainEvent, key: string) {
      const topic = topicFor(event.type);
      const stopTimer = options.metrics.publishSeconds.startTimer({ topic });
      try {
        await options.publisher.publish({
          topic,
          key,
          value: encodeEvent(event),
          headers: { 'event-type': event.type, 'event-id': event.id },
        });
        stopTimer({ outcome: 'ok' });
        options.metrics.eventsPublished.inc({ topic, outcome: 'ok' });
      } catch (error) {
        stopTimer({ outcome: 'failed' });
        options.metrics.eventsPublished.inc({ topic, outcome: 'failed' });
        throw new DependencyUnavailableError('kafka', { cause: error });
      }
    },
  };
}
