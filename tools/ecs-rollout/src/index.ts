export { type CliDeps, runCli, USAGE } from './cli.ts';
export { type Clock, systemClock } from './clock.ts';
export {
  type CopilotEnvironment,
  type CopilotService,
  CopilotTag,
  findCopilotEnvironment,
  findCopilotService,
} from './copilot-lookup.ts';
export {
  type DeployOptions,
  type DeployResult,
  deploy,
  type RollbackOptions,
  rollback,
} from './deploy.ts';
export { ExitCode, type ExitCodeValue, RolloutCliError } from './errors.ts';
export {
  type RunTaskOptions,
  type RunTaskResult,
  runOneOffTask,
  STARTED_BY,
} from './run-task.ts';
export {
  collectStatus,
  type EnvironmentStatus,
  formatStatus,
  type ServiceStatus,
  stableRevision,
  statusAsJson,
} from './status.ts';
export { revisionWithImage } from './task-definition.ts';
export { type RolloutOutcome, waitForRollout } from './wait-for-rollout.ts';
