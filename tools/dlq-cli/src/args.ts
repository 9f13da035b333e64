import { parseArgs } from 'node:util';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '@kafka-ecs/events';
import { CliError, ExitCode } from './errors.ts';
import { assertTokenTransport } from './token-transport.ts';

export const USAGE = `usage: pnpm dlq <command> [options]

Inspect and replay the consumer's dead letters through its GraphQL API.

commands:
  list                 dead letters, newest first
  show <id>            one dead letter: headers, history and the payload
  replay <id>...       re-run dead letters through their handler, at most 500 ids (a dry run,
                       audited, without --yes)
  replay --all         the dead letters matching the filters, replayed by the consumer at
                       --rate, at most --limit (default 100, max 500); a dry run (audited)
                       without --yes
  discard <id> --reason TEXT
                       take a dead letter off the list without running it (it stays on the
                       topic and in the audit)
  audit                who replayed or discarded what, newest first
  export               matching dead letters as JSON lines (stdout, or --out FILE)
  stats                retry and dead-letter counts

filters (list, replay --all, export):
  --topic NAME         original topic
  --reason REASON      exhausted | non-retryable
  --error TEXT         text in the error name or message
  --key KEY            the record key, exactly (a user's id)
  --since WHEN         ISO 8601 time, or an age such as 30m, 6h, 2d
  --until WHEN         same forms
  --limit N            at most N (list and audit default 50; replay --all 100; export: all)

options:
  --dry-run            only say what would be replayed (the default)
  --yes, --no-dry-run  replay for real
  --rate N             replays per second (default 10; with --all at most 100)
  --reason TEXT        with discard: why (required, audited)
  --json               machine-readable output (list, show, stats, audit)
  --out FILE           export to FILE instead of stdout
  --url URL            the consumer's GraphQL endpoint (default $DLQ_URL or
                       http://127.0.0.1:9000/graphql)
  the operator token is read from $DLQ_TOKEN (yours, from OPERATOR_TOKENS: the consumer's audit
  then names you as the actor), else $ADMIN_TOKEN (actor admin); never from the command line
  (it would show in ps), and sent over plain http only to localhost: any other host needs an
  https:// URL

exit codes: 0 ok, 1 some replays failed again, 2 usage, 3 unauthorized, 4 consumer unavailable,
5 not found`;

export interface Filters {
  topic?: string;
  reason?: DeadLetterReason;
  errorContains?: string;
  key?: string;
  since?: string;
  until?: string;
}

export type Command =
  | { name: 'help' }
  | { name: 'list'; filters: Filters; limit: number; json: boolean }
  | { name: 'show'; id: string; json: boolean }
  | {
      name: 'replay';
      ids: string[];
      all: boolean;
      filters: Filters;
      limit?: number;
      yes: boolean;
      rate: number;
    }
  | { name: 'export'; filters: Filters; limit?: number; out?: string }
  | { name: 'discard'; id: string; reason: string }
  | { name: 'audit'; limit: number; json: boolean }
  | { name: 'stats'; json: boolean };

export interface Settings {
  url: string;
  token?: string;
}

/** Ids one `replay <id>...` takes, as many as one bulk replay (`replay --all --limit`). */
export const REPLAY_IDS_MAX = 500;

const AGE = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An ISO time or an age (`6h`) as an ISO time; `now` for ages. */
export function parseWhen(value: string, flag: string, now: Date): string {
  const age = AGE.exec(value);
  if (age) {
    const ms = Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS];
    const at = new Date(now.getTime() - ms);
    // An age beyond what a date can hold (99999999999d) is an input error, not a crash.
    if (Number.isNaN(at.getTime())) {
      throw new CliError(`${flag} is further back than a date can go`, ExitCode.usage);
    }
    return at.toISOString();
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new CliError(
      `${flag} must be an ISO 8601 time or an age like 30m, 6h, 2d`,
      ExitCode.usage,
    );
  }
  return new Date(time).toISOString();
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new CliError(`${flag} must be a number > 0`, ExitCode.usage);
  }
  return number;
}

/** The command line as a command, or a CliError (exit code 2) naming what is wrong. */
export function parseCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  now = new Date(),
): { command: Command; settings: Settings } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.usage);
  }
  const { values, positionals } = parsed;
  const url = values.url ?? env.DLQ_URL ?? 'http://127.0.0.1:9000/graphql';
  if (!URL.canParse(url) || !/^https?:/.test(url)) {
    throw new CliError(`--url must be an http(s) URL (got ${url})`, ExitCode.usage);
  }
  // The token names the actor the consumer audits: a name typed here (--actor) or the OS user
  // (one shared account on a bastion) could be anyone's; the token is what the consumer verifies.
  const settings = { url, token: env.DLQ_TOKEN || env.ADMIN_TOKEN || undefined };
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help') {
    return { command: { name: 'help' }, settings };
  }
  assertTokenTransport(settings.url, settings.token);
  if (values.reason !== undefined && !DEAD_LETTER_REASONS.includes(values.reason as never)) {
    // discard's --reason is free text; elsewhere it filters.
    if (name === 'discard') return { command: discardCommand(rest, values.reason), settings };
    throw new CliError(`--reason must be one of ${DEAD_LETTER_REASONS.join(', ')}`, ExitCode.usage);
  }
  const filters: Filters = {
    topic: values.topic,
    reason: values.reason as DeadLetterReason | undefined,
    errorContains: values.error,
    key: values.key,
    since: values.since === undefined ? undefined : parseWhen(values.since, '--since', now),
    until: values.until === undefined ? undefined : parseWhen(values.until, '--until', now),
  };
  const limit = positive(values.limit, '--limit');
  const json = values.json ?? false;
  switch (name) {
    case 'list':
      return { command: { name, filters, limit: limit ?? 50, json }, settings };
    case 'show': {
      if (rest.length !== 1) throw new CliError('show takes exactly one id', ExitCode.usage);
      return { command: { name, id: rest[0] as string, json }, settings };
    }
    case 'replay': {
      const all = values.all ?? false;
      if (all === rest.length > 0) {
        throw new CliError('replay takes ids, or --all with filters (not both)', ExitCode.usage);
      }
      if (rest.length > REPLAY_IDS_MAX) {
        // Each is a request and an audit entry (the audit keeps its newest 5,000).
        throw new CliError(
          `replay takes at most ${REPLAY_IDS_MAX} ids; use --all with filters for more`,
          ExitCode.usage,
        );
      }
      if (values.yes && values['dry-run'] === true) {
        throw new CliError('--yes and --dry-run contradict each other', ExitCode.usage);
      }
      return {
        command: {
          name,
          ids: rest,
          all,
          filters,
          limit,
          yes: (values.yes ?? false) || values['dry-run'] === false,
          rate: positive(values.rate, '--rate') ?? 10,
        },
        settings,
      };
    }
    case 'audit':
      return { command: { name, limit: limit ?? 50, json }, settings };
    case 'discard':
      return { command: discardCommand(rest, values.reason), settings };
    case 'export':
      return { command: { name, filters, limit, out: values.out }, settings };
    case 'stats':
      return { command: { name, json }, settings };
    default:
      throw new CliError(`unknown command ${name} (see --help)`, ExitCode.usage);
  }
}

function discardCommand(ids: string[], reason: string | undefined): Command {
  if (ids.length !== 1) throw new CliError('discard takes exactly one id', ExitCode.usage);
  if (reason === undefined || reason.trim() === '') {
    throw new CliError('discard needs --reason TEXT: it is kept in the audit', ExitCode.usage);
  }
  return { name: 'discard', id: ids[0] as string, reason };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    allowNegative: true,
    strict: true,
    options: {
      topic: { type: 'string' },
      reason: { type: 'string' },
      error: { type: 'string' },
      key: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      yes: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      rate: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
