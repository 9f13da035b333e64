export interface KafkaEcsErrorOptions {
  /** The same work may succeed if tried again later (a dependency down, a timeout). @defaultValue false */
  retriable?: boolean;
  /** What went wrong underneath; kept for the logs, never shown to a caller. */
  cause?: unknown;
}

/**
 * The base of every error the project raises on purpose, as kafkajs' `KafkaJSError` and BullMQ's
 * errors do it: `retriable` is the one thing the failure path decides from (retry later, or
 * dead-letter now), and `cause` chains the error underneath. `name` is the class's own name,
 * set here so that no subclass can forget it or let it drift from the class (tsc keeps class
 * names; nothing minifies them): it is what survives when an error crosses a process boundary
 * as a plain object.
 */
export class KafkaEcsError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: KafkaEcsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/**
 * What an error says about retrying: the flag of a `KafkaEcsError`, or of anything else that
 * carries a boolean `retriable` (a library's error, one rebuilt from a job's data); `undefined`
 * when it says nothing, and the caller decides what an unknown failure means.
 */
export function retriableOf(error: unknown): boolean | undefined {
  if (error instanceof KafkaEcsError) return error.retriable;
  const flag = (error as { retriable?: unknown } | null | undefined)?.retriable;
  return typeof flag === 'boolean' ? flag : undefined;
}
