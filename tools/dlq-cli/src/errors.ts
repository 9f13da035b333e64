import { KafkaEcsError } from '@kafka-ecs/errors';
/** Exit codes, documented in `dlq --help` and docs/runbooks/dead-letter.md. */
export const ExitCode = {
  ok: 0,
  /** Some replays failed again (they stay in the dead-letter list). */
  replayFailed: 1,
  usage: 2,
  /** The token is missing or wrong, or operator operations are disabled. */
  unauthorized: 3,
  /** The consumer could not be reached or answered with an error. */
  unavailable: 4,
  notFound: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the operator should read as one line; `code` is the process's exit code. */
export class CliError extends KafkaEcsError {
  readonly code: ExitCodeValue;
  constructor(message: string, code: ExitCodeValue) {
    super(message);
    this.code = code;
  }
}
