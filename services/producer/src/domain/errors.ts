import { KafkaEcsError } from '@kafka-ecs/errors';
/**
 * The failures a use case can report on purpose. Entry points map them to error codes by class;
 * anything else is unexpected, logged and masked.
 */

/** The caller sent something invalid; `field` names it. */
export class InvalidInputError extends KafkaEcsError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

export class UsernameTakenError extends KafkaEcsError {
  constructor() {
    super('username is already taken');
  }
}

/** Same message whether the user does not exist or the password is wrong. */
export class InvalidCredentialsError extends KafkaEcsError {
  constructor() {
    super('invalid username or password');
  }
}

/** Too many failed logins for one username; `retryAfterSeconds` until its window ends. */
export class TooManyLoginAttemptsError extends KafkaEcsError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('too many failed logins for this username, try again later', { retriable: true });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * More password hashes are asked for than the service can compute in time: refused before any
 * work, so the caller can come back after `retryAfterSeconds` instead of waiting unboundedly.
 */
export class HashingOverloadedError extends KafkaEcsError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('the service is busy, try again later', { retriable: true });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Kafka or Redis could not do its part in time; trying again later may work. */
export class DependencyUnavailableError extends KafkaEcsError {
  readonly dependency: 'kafka' | 'redis';
  constructor(dependency: 'kafka' | 'redis', options: { cause?: unknown } = {}) {
    super(`${dependency} is unavailable, try again later`, { ...options, retriable: true });
    this.dependency = dependency;
  }
}
