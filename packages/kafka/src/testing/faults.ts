import { KafkaEcsError } from '@kafka-ecs/errors';

/** What the in-memory double can be told to fail next. */
export type FaultPoint = 'publish' | 'transaction' | 'commit';

/**
 * What the double's "broker" raises: an injected fault, or a request the real broker would
 * refuse too (an unknown topic). Retriable, like kafkajs' errors for the same situations, and
 * recognised by the double's `isKafkaError` the way the real one recognises kafkajs' errors.
 */
export class InMemoryKafkaError extends KafkaEcsError {
  constructor(message: string) {
    super(message, { retriable: true });
  }
}

/** Queued failures per point: each `failNext` fails exactly one later operation there. */
export function createFaults() {
  const queued = new Map<FaultPoint, Error[]>();
  return {
    failNext(point: FaultPoint, error?: Error) {
      const errors = queued.get(point) ?? [];
      errors.push(error ?? new InMemoryKafkaError(`injected ${point} failure`));
      queued.set(point, errors);
    },
    /** Throws the next queued failure of `point`, if there is one. */
    take(point: FaultPoint) {
      const error = queued.get(point)?.shift();
      if (error) throw error;
    },
  };
}

export type Faults = ReturnType<typeof createFaults>;
