export { freePort } from './free-port.ts';
export { testInfrastructure } from './infrastructure.ts';
export { type CommandResult, runCommand } from './run-command.ts';
export { type ServiceProcess, startServiceProcess } from './service-process.ts';
export { uniqueName } from './unique-name.ts';
export { type WaitForOptions, waitFor } from './wait-for.ts';
