import type { Command } from './args.ts';
import type { AuditEntry, DeadLetterClient } from './client.ts';
import { ExitCode, type ExitCodeValue } from './errors.ts';
import { formatAudit } from './format.ts';

/** Writes one line of output (stdout in the CLI; a test can collect them). */
type Print = (line: string) => void;

/**
 * `replay --all`: one bulk replay run by the consumer, which selects, paces, single-flights and
 * audits it (a dry run too), so the CLI and GraphQL leave the same trail.
 */
export async function bulkReplayCommand(
  command: Extract<Command, { name: 'replay' }>,
  client: DeadLetterClient,
  print: Print,
): Promise<ExitCodeValue> {
  const result = await client.replayMany(command.filters, {
    dryRun: !command.yes,
    limit: command.limit,
    ratePerSecond: command.rate,
  });
  const taken = result.ids.length;
  if (result.dryRun) {
    for (const id of result.ids) print(id);
    print(
      `dry run: ${taken} of ${result.matched} matching dead letter(s) would be replayed at ${command.rate}/s; add --yes to replay them`,
    );
    return ExitCode.ok;
  }
  print(
    `replayed ${result.replayed}, failed again ${result.failed} (still listed), skipped ${result.skipped}; ${taken} of ${result.matched} matching`,
  );
  if (taken < result.matched) {
    print('more match: run again (dead letters that failed again are matched again)');
  }
  return result.failed > 0 ? ExitCode.replayFailed : ExitCode.ok;
}

export async function discardCommand(
  command: Extract<Command, { name: 'discard' }>,
  client: DeadLetterClient,
  print: Print,
): Promise<ExitCodeValue> {
  const discarded = await client.discard(command.id, command.reason);
  print(
    discarded
      ? `discarded ${command.id} (still on the dead-letter topic; see pnpm dlq audit)`
      : `nothing done: ${command.id} was already replayed or discarded, or is being replayed now`,
  );
  return ExitCode.ok;
}

/** `audit`: the newest entries first, up to --limit, a page of at most 100 at a time. */
export async function auditCommand(
  command: Extract<Command, { name: 'audit' }>,
  client: DeadLetterClient,
  print: Print,
): Promise<ExitCodeValue> {
  const entries: AuditEntry[] = [];
  let after: string | null = null;
  let totalCount = 0;
  while (entries.length < command.limit) {
    const page = await client.auditPage(Math.min(100, command.limit - entries.length), after);
    entries.push(...page.nodes);
    totalCount = page.totalCount;
    if (!page.hasNextPage || page.endCursor === null) break;
    after = page.endCursor;
  }
  if (command.json) {
    print(JSON.stringify({ totalCount, nodes: entries }, null, 2));
  } else {
    print(formatAudit(entries));
    print(`\n${entries.length} shown of ${totalCount}`);
  }
  return ExitCode.ok;
}
