import { parseArgs } from 'node:util';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { Clock } from './clock.ts';
import { confirmRollout, deploy, rollback } from './deploy.ts';
import { ExitCode, type ExitCodeValue, RolloutCliError } from './errors.ts';
import { runOneOffTask } from './run-task.ts';
import { collectStatus, formatStatus, statusAsJson } from './status.ts';

export const USAGE = `ecs-rollout: deploy and inspect Copilot-created ECS services without the Copilot CLI

usage:
  ecs-rollout status --app A --env E [--service S] [--events N] [--json]
  ecs-rollout deploy --app A --env E --service S --image IMAGE [--container C]
                     [--timeout SECONDS] [--poll SECONDS] [--no-wait]
  ecs-rollout deploy --app A --env E --service S --rollback [--to-revision N]
  ecs-rollout wait   --app A --env E --service S [--image-tag TAG] [--container C]
                     [--timeout SECONDS] [--poll SECONDS]
  ecs-rollout run    --app A --env E --service S [--container C] [--timeout SECONDS]
                     [--poll SECONDS] [--no-wait] -- COMMAND [ARG ...]

status --json prints the same as JSON for scripts, with each service's stableRevision: the
task-definition revision it last finished rolling out (null while that is unclear).

deploy, rollback and wait succeed only once the PRIMARY deployment is COMPLETED on the expected
task definition and every running task uses it (after a circuit-breaker rollback the service is
stable again, on the old revision: that is a failure here). wait confirms what the service runs
now, e.g. after \`copilot svc deploy --tag TAG\`; with --image-tag it also checks that the
service's container runs an image with that tag.

run starts one task of the service's current task definition (its image, roles, environment and
secrets, in its subnets) with COMMAND instead of the container's CMD, e.g. a view rebuild:
  ecs-rollout run --app A --env prod --service consumer -- node dist/rebuild/cli.js
It waits until the task stopped and succeeds if the container exited 0 (default timeout 7200 s;
a task still running then is left running and the way to stop it is printed).

Services are found by Copilot's tags (copilot-application, copilot-environment, copilot-service);
credentials and region come from the usual AWS settings (AWS_PROFILE, AWS_REGION, OIDC role, …).

exit codes: 0 ok · 1 rollout failed or rolled back; for run, the task stopped without its
container exiting 0 · 2 usage · 3 not found · 4 timed out · 5 AWS error (for run, also: ECS
placed no task)`;

export interface CliDeps {
  ecs: Pick<ECSClient, 'send'>;
  clock: Clock;
  out: (line: string) => void;
  err: (line: string) => void;
}

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new RolloutCliError(
      `--${name} must be a positive number, got "${value}"`,
      ExitCode.usage,
    );
  }
  return number;
}

function required(values: Record<string, unknown>, names: string[]): void {
  const missing = names.filter((name) => typeof values[name] !== 'string' || values[name] === '');
  if (missing.length > 0) {
    throw new RolloutCliError(
      `missing ${missing.map((name) => `--${name}`).join(', ')} (see ecs-rollout --help)`,
      ExitCode.usage,
    );
  }
}

async function run(argv: string[], deps: CliDeps): Promise<ExitCodeValue> {
  // What follows `--` is run's command, passed on as it is (its own flags included).
  const dashes = argv.indexOf('--');
  const options = dashes === -1 ? argv : argv.slice(0, dashes);
  const command = dashes === -1 ? undefined : argv.slice(dashes + 1);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(options);
  } catch (error) {
    throw new RolloutCliError(
      error instanceof Error ? error.message : String(error),
      ExitCode.usage,
    );
  }
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (values.help || name === 'help') {
    deps.out(USAGE);
    return ExitCode.ok;
  }
  if (extra.length > 0) {
    throw new RolloutCliError(`unexpected argument: ${extra.join(' ')}`, ExitCode.usage);
  }
  if (command !== undefined && name !== 'run') {
    throw new RolloutCliError(`only run takes a command after --`, ExitCode.usage);
  }
  const log = deps.out;
  if (name === 'run') {
    required(values, ['app', 'env', 'service']);
    if (command === undefined || command.length === 0) {
      throw new RolloutCliError('missing the command to run after --', ExitCode.usage);
    }
    if (values['no-wait'] && (values.timeout !== undefined || values.poll !== undefined)) {
      throw new RolloutCliError('--no-wait does not go with --timeout or --poll', ExitCode.usage);
    }
    for (const flag of [
      'image',
      'rollback',
      'to-revision',
      'image-tag',
      'events',
      'json',
    ] as const) {
      if (values[flag] !== undefined) {
        throw new RolloutCliError(`run does not take --${flag}`, ExitCode.usage);
      }
    }
    const result = await runOneOffTask(
      { ...deps, log },
      {
        app: values.app as string,
        env: values.env as string,
        service: values.service as string,
        container: values.container,
        command,
        wait: !values['no-wait'],
        timeoutMs: (positiveNumber('timeout', values.timeout) ?? 7200) * 1000,
        pollIntervalMs: (positiveNumber('poll', values.poll) ?? 10) * 1000,
      },
    );
    return result.exitCode;
  }
  if (name === 'status') {
    required(values, ['app', 'env']);
    const status = await collectStatus(deps, {
      app: values.app as string,
      env: values.env as string,
      service: values.service,
      events: positiveNumber('events', values.events),
    });
    deps.out(values.json ? statusAsJson(status) : formatStatus(status));
    if (values.service !== undefined && status.services.length === 0) {
      throw new RolloutCliError(
        `no service ${values.service} in ${values.app}/${values.env}`,
        ExitCode.notFound,
      );
    }
    return ExitCode.ok;
  }
  if (name === 'deploy' || name === 'wait') {
    const target = {
      app: values.app as string,
      env: values.env as string,
      service: values.service as string,
      wait: !values['no-wait'],
      timeoutMs: (positiveNumber('timeout', values.timeout) ?? 600) * 1000,
      pollIntervalMs: (positiveNumber('poll', values.poll) ?? 10) * 1000,
    };
    if (name === 'wait') {
      required(values, ['app', 'env', 'service']);
      const confirm = { ...target, imageTag: values['image-tag'], container: values.container };
      return (await confirmRollout({ ...deps, log }, confirm)).exitCode;
    }
    if (values.rollback) {
      required(values, ['app', 'env', 'service']);
      if (values.image !== undefined) {
        throw new RolloutCliError('--rollback and --image do not go together', ExitCode.usage);
      }
      const toRevision = positiveNumber('to-revision', values['to-revision']);
      const result = await rollback({ ...deps, log }, { ...target, toRevision });
      return result.exitCode;
    }
    required(values, ['app', 'env', 'service', 'image']);
    const result = await deploy(
      { ...deps, log },
      { ...target, image: values.image as string, container: values.container },
    );
    return result.exitCode;
  }
  throw new RolloutCliError(
    name === undefined
      ? 'missing command: status, deploy, wait or run'
      : `unknown command: ${name}`,
    ExitCode.usage,
  );
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      app: { type: 'string' },
      env: { type: 'string' },
      service: { type: 'string' },
      image: { type: 'string' },
      container: { type: 'string' },
      timeout: { type: 'string' },
      poll: { type: 'string' },
      events: { type: 'string' },
      json: { type: 'boolean' },
      rollback: { type: 'boolean' },
      'to-revision': { type: 'string' },
      'no-wait': { type: 'boolean' },
      'image-tag': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Runs one command line and returns the exit code; expected failures are one `error:` line. */
export async function runCli(argv: string[], deps: CliDeps): Promise<ExitCodeValue> {
  try {
    return await run(argv, deps);
  } catch (error) {
    if (error instanceof RolloutCliError) {
      deps.err(`error: ${error.message}`);
      if (error.exitCode === ExitCode.usage) deps.err('run ecs-rollout --help for usage');
      return error.exitCode;
    }
    deps.err(
      `error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return ExitCode.awsError;
  }
}
