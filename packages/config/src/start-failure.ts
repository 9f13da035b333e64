import { ConfigError } from './load-config.ts';

export interface StartFailureOutput {
  error: (...data: unknown[]) => void;
  exit: (code: number) => void;
}

/**
 * The rejection handler of a service's `main()`: prints why it could not start and exits 1, so
 * ECS marks the task failed. A ConfigError is printed as its message alone (the one line the
 * operator needs); anything else with its stack, as it is an outage or a bug to look into.
 */
export function exitOnStartFailure(
  service: string,
  output: StartFailureOutput = { error: console.error, exit: process.exit },
): (error: unknown) => void {
  return (error) => {
    if (error instanceof ConfigError) {
      output.error(error.message);
    } else {
      output.error(`${service} failed to start:`, error);
    }
    output.exit(1);
  };
}
