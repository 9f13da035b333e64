import type { BenchContext } from '../context.ts';
import type { BenchService } from '../infra/services.ts';
import { consumerEnv, launch, producerEnv, shutdown } from './launch.ts';

/** The services the HTTP scenarios share: started on first use, stopped once they are done. */
export interface HttpServices {
  producer?: BenchService;
  consumer?: { service: BenchService; viewPrefix: string };
}

const started = new WeakMap<BenchContext, HttpServices>();

const servicesOf = (context: BenchContext): HttpServices => {
  let services = started.get(context);
  if (!services) {
    services = {};
    started.set(context, services);
  }
  return services;
};

/** The producer at the bench's (lowered) scrypt cost, writing to the contract's topics. */
export async function sharedProducer(context: BenchContext): Promise<BenchService> {
  const services = servicesOf(context);
  if (!services.producer) {
    const prefix = `bench-${context.tag}-producer:`;
    context.cleanup.redisPrefixes.push(prefix);
    services.producer = await launch(
      context,
      'producer',
      producerEnv(context, {
        REDIS_KEY_PREFIX: prefix,
        SCRYPT_COST: String(context.options.benchScryptCost),
      }),
    );
  }
  return services.producer;
}

/**
 * The consumer on `new-user-created`, its group started at the topic's end (the contract topic
 * keeps every event ever published; a new group would otherwise replay them all), calling the
 * shared producer on /ping.
 */
export async function sharedConsumer(
  context: BenchContext,
): Promise<{ service: BenchService; viewPrefix: string }> {
  const services = servicesOf(context);
  if (!services.consumer) {
    const producer = await sharedProducer(context);
    const groupId = `bench-http-${context.tag}`;
    const viewPrefix = `bench-${context.tag}-view-http`;
    await context.kafka.startGroupAtEnd(groupId, 'new-user-created');
    const service = await launch(
      context,
      'consumer',
      consumerEnv(context, {
        CONSUMER_GROUP_ID: groupId,
        CONSUMER_TOPICS: 'new-user-created',
        VIEW_KEY_PREFIX: viewPrefix,
        PRODUCER_SVC_ENDPOINT: `${producer.url}/producer-svc`,
      }),
    );
    services.consumer = { service, viewPrefix };
  }
  return services.consumer;
}

export async function stopSharedServices(context: BenchContext): Promise<void> {
  const services = servicesOf(context);
  if (services.consumer) await shutdown(context, services.consumer.service);
  if (services.producer) await shutdown(context, services.producer);
  started.delete(context);
}
