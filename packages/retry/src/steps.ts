import type { FailurePathStep } from '@kafka-ecs/events';

// The step names are the failure path's outside surface (FAULT_INJECT_CRASH_AT), so they live
// with its other names in the events package; the configuration validates against the same list.
export {
  FAILURE_PATH_STEPS as RETRY_STEPS,
  type FailurePathStep as RetryStep,
} from '@kafka-ecs/events';

/** Called on reaching each step; the default does nothing. */
export type StepHook = (step: FailurePathStep) => void;
