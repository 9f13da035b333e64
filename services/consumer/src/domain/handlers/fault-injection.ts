import { KafkaEcsError } from '@kafka-ecs/errors';
import type { EventHandlers } from './index.ts';

/** A failure made on purpose (FAULT_INJECT_*): retriable, like a real transient one. */
export class InjectedFaultError extends KafkaEcsError {
  constructor(message: string) {
    super(message, { retriable: true });
  }
}

export interface FaultInjection {
  /** Users whose username matches fail. */
  usernamePattern: RegExp;
  /** Fail the first N attempts of each matching event, then succeed; or always fail. */
  failures: number | 'always';
}

/**
 * Wraps the handlers so `new-user-created` events of matching users fail, for tests and staging
 * (the configuration drops it in production). Only that event type carries a username; the
 * user's `issued-token` events go through, which is what lets a test watch one chain alone.
 */
export function withFaultInjection(handlers: EventHandlers, faults: FaultInjection): EventHandlers {
  return {
    ...handlers,
    'new-user-created': (event, context) => {
      const failing =
        faults.usernamePattern.test(event.data.username) &&
        (faults.failures === 'always' || context.attempt <= faults.failures);
      if (failing) {
        throw new InjectedFaultError(
          `injected failure for ${event.data.username} (attempt ${context.attempt}, FAULT_INJECT_FAILURES=${faults.failures})`,
        );
      }
      return handlers['new-user-created'](event, context);
    },
  };
}
