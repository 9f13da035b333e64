#!/usr/bin/env node
// Composition root of the CLI: the only module that reads the environment and creates the client.
// Region, credentials and an endpoint override (AWS_ENDPOINT_URL_ECS) come from the SDK's usual
// configuration chain.
import { ECSClient } from '@aws-sdk/client-ecs';
import { runCli } from './cli.ts';
import { systemClock } from './clock.ts';

// The SDK's HTTP handler waits forever by default; a stalled call must not outlive the
// rollout's own deadline, which is only checked between calls.
const ecs = new ECSClient({
  maxAttempts: 5,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
});
const exitCode = await runCli(process.argv.slice(2), {
  ecs,
  clock: systemClock,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
ecs.destroy();
process.exitCode = exitCode;
