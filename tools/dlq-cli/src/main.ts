#!/usr/bin/env node
// The operators' command line for the dead-letter queue (docs/runbooks/dead-letter.md). A
// composition root: reads argv and the environment, talks to the consumer over HTTP.
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, parseCommand, USAGE } from './args.ts';
import {
  createDeadLetterClient,
  type DeadLetterClient,
  type DeadLetterSummary,
  type Page,
  pages,
} from './client.ts';
import { CliError, ExitCode, type ExitCodeValue } from './errors.ts';
import { formatDetail, formatTable, progressBar } from './format.ts';
import { auditCommand, bulkReplayCommand, discardCommand } from './operator-commands.ts';

const print = (line: string) => console.log(line);

async function run(command: Command, client: DeadLetterClient): Promise<ExitCodeValue> {
  switch (command.name) {
    case 'help':
      console.log(USAGE);
      return ExitCode.ok;
    case 'list': {
      const shown: DeadLetterSummary[] = [];
      let last: Page<DeadLetterSummary> | undefined;
      for await (const page of pages(client, command.filters, command.limit)) {
        shown.push(...page.nodes);
        last = page;
      }
      const totalCount = last?.totalCount ?? 0;
      const more = last?.hasNextPage ?? false;
      if (command.json) {
        console.log(JSON.stringify({ ...last, totalCount, nodes: shown }, null, 2));
      } else {
        console.log(formatTable(shown, process.stdout.columns ?? 120));
        console.log(
          `\n${shown.length} shown of ${totalCount}${more ? ' (use --limit or filters for more)' : ''}`,
        );
      }
      return ExitCode.ok;
    }
    case 'show': {
      const letter = await client.get(command.id);
      console.log(command.json ? JSON.stringify(letter, null, 2) : formatDetail(letter));
      return ExitCode.ok;
    }
    case 'stats': {
      const stats = await client.stats();
      if (command.json) console.log(JSON.stringify(stats));
      else
        for (const [name, value] of Object.entries(stats))
          console.log(`${name.padEnd(14)}${value}`);
      return ExitCode.ok;
    }
    case 'export':
      return exportLines(command, client);
    case 'replay':
      return command.all ? bulkReplayCommand(command, client, print) : replay(command, client);
    case 'discard':
      return discardCommand(command, client, print);
    case 'audit':
      return auditCommand(command, client, print);
  }
}

async function exportLines(
  command: Extract<Command, { name: 'export' }>,
  client: DeadLetterClient,
): Promise<ExitCodeValue> {
  let count = 0;
  // Whole records a page at a time: one request per 100 dead letters.
  async function* lines() {
    for await (const page of pages(client, command.filters, command.limit, true)) {
      for (const letter of page.nodes) {
        yield `${JSON.stringify(letter)}\n`;
        count += 1;
      }
    }
  }
  // Relative to where the operator ran `pnpm dlq`, not to this package.
  const path = command.out && resolve(process.env.INIT_CWD ?? process.cwd(), command.out);
  try {
    // pipeline keeps to the destination's pace and turns a file that cannot be opened or
    // written into a rejection here (a bare stream would crash on an unhandled 'error').
    await pipeline(lines(), path ? createWriteStream(path) : process.stdout, { end: !!path });
  } catch (error) {
    if (error instanceof CliError) throw error;
    // stdout closed by its reader (`| head`): it has what it wanted.
    if (!path && (error as NodeJS.ErrnoException).code === 'EPIPE') return ExitCode.ok;
    if (!path) throw error;
    throw new CliError(`cannot write ${command.out}: ${(error as Error).message}`, ExitCode.usage);
  }
  console.error(`exported ${count} dead letter(s)${command.out ? ` to ${command.out}` : ''}`);
  return ExitCode.ok;
}

async function replay(
  command: Extract<Command, { name: 'replay' }>,
  client: DeadLetterClient,
): Promise<ExitCodeValue> {
  // Named ids, one replay each (each audited as a replay); --all is one bulk replay instead.
  const targets = await Promise.all(command.ids.map((id) => client.get(id)));
  if (targets.length === 0) {
    console.log('no dead letters match; nothing to replay');
    return ExitCode.ok;
  }
  if (!command.yes) {
    // Asked of the consumer, one dry run each, so the audit has it as the real run would be.
    const previews = [];
    for (const target of targets) {
      previews.push({ id: target.id, ...(await client.replay(target.id, { dryRun: true })) });
    }
    const would = previews.filter((preview) => preview.outcome === 'WOULD_REPLAY');
    console.log(formatTable(targets, process.stdout.columns ?? 120));
    for (const preview of previews) {
      if (preview.outcome !== 'WOULD_REPLAY') console.log(`  ${preview.id}: ${preview.outcome}`);
    }
    console.log(
      `\ndry run (audited): ${would.length} of ${targets.length} dead letter(s) would be ` +
        `replayed at ${command.rate}/s; add --yes to replay them`,
    );
    return ExitCode.ok;
  }
  const tty = process.stderr.isTTY;
  const failures: string[] = [];
  const notReplayed: string[] = [];
  const interval = 1_000 / command.rate;
  let next = Date.now();
  for (const [index, target] of targets.entries()) {
    // A fixed pace: the handler's downstream (Redis, the view) sees at most --rate per second.
    await sleep(Math.max(0, next - Date.now()));
    next += interval;
    const result = await client.replay(target.id);
    if (result.outcome === 'FAILED') {
      failures.push(`${target.id}: ${result.errorName}: ${result.errorMessage}`);
    } else if (result.outcome !== 'REPLAYED') {
      // Already replayed, discarded or being replayed elsewhere: nothing was done to it.
      notReplayed.push(`${target.id}: ${result.outcome}`);
    }
    const line = progressBar(index + 1, targets.length, failures.length);
    if (tty) process.stderr.write(`\r${line}`);
    else if ((index + 1) % 10 === 0 || index + 1 === targets.length) console.error(line);
  }
  if (tty) process.stderr.write('\n');
  const replayed = targets.length - failures.length - notReplayed.length;
  console.log(
    `replayed ${replayed}, failed again ${failures.length} (still listed), ` +
      `not replayed ${notReplayed.length}`,
  );
  for (const line of [...failures, ...notReplayed]) console.log(`  ${line}`);
  return failures.length > 0 ? ExitCode.replayFailed : ExitCode.ok;
}

async function main(): Promise<ExitCodeValue> {
  try {
    const { command, settings } = parseCommand(process.argv.slice(2), process.env);
    return await run(command, createDeadLetterClient(settings));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    console.error(`dlq: ${error.message}`);
    if (error.code === ExitCode.usage) console.error('run `pnpm dlq --help` for usage');
    return error.code;
  }
}

process.exitCode = await main();
