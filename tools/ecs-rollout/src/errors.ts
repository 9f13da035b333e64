import { KafkaEcsError } from '@kafka-ecs/errors';
/**
 * The CLI's exit codes: a pipeline step can tell "the rollout failed" (roll back, page someone)
 * from "the tool was called wrong" or "AWS said no" without parsing the output.
 */
export const ExitCode = {
  ok: 0,
  /** The rollout failed: the circuit breaker rolled it back, or its state is FAILED. */
  rolloutFailed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** No Copilot cluster, service, container or previous revision matches. */
  notFound: 3,
  /** The rollout did not finish within --timeout. */
  timedOut: 4,
  /** An AWS call failed (credentials, permissions, throttling past the retries, …). */
  awsError: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: its message is printed as is and the process exits with `exitCode`. */
export class RolloutCliError extends KafkaEcsError {
  readonly exitCode: ExitCodeValue;

  constructor(message: string, exitCode: ExitCodeValue, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

const THROTTLING_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/** Decided by name as well as by the SDK's flag: errors reach us from mocks and across retries. */
export function isThrottlingError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  return THROTTLING_ERROR_NAMES.has(error.name) || retryable?.throttling === true;
}
