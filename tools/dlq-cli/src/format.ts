import type { AuditEntry, DeadLetterDetail, DeadLetterSummary } from './client.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same, newlines allowed
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * Dead letters carry text from whoever wrote the record: control characters (terminal escape
 * sequences among them) are shown as `?`, never sent to the operator's terminal.
 */
export const safe = (text: string, keepNewlines = false): string =>
  text.replace(keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL, '?');

/** Plain columns, padded; the last column (the error) is cut to the terminal's width. */
export function formatTable(rows: DeadLetterSummary[], width = 120): string {
  if (rows.length === 0) return 'no dead letters match';
  const cells = rows.map((row) => [
    safe(row.id),
    row.reason,
    String(row.attempts),
    row.failedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    safe(`${row.errorName}: ${row.errorMessage}`.replace(/\s+/g, ' ')),
  ]);
  const header = ['ID', 'REASON', 'ATTEMPTS', 'FAILED AT', 'ERROR'];
  const all = [header, ...cells];
  const widths = header.map((_, column) =>
    column === header.length - 1 ? 0 : Math.max(...all.map((line) => (line[column] ?? '').length)),
  );
  const used = widths.reduce((sum, value) => sum + value + 2, 0);
  return all
    .map((line) =>
      line
        .map((cell, column) =>
          column === line.length - 1
            ? truncate(cell, Math.max(20, width - used))
            : cell.padEnd(widths[column] ?? 0),
        )
        .join('  '),
    )
    .join('\n');
}

const truncate = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** One dead letter for a human: what, why, what happened since, and the payload pretty-printed. */
export function formatDetail(letter: DeadLetterDetail): string {
  const lines = [
    `id              ${safe(letter.id)}`,
    `status          ${letter.status}`,
    `original        ${letter.topic} partition ${letter.partition} offset ${letter.offset}`,
    `key             ${letter.key === null ? '(none)' : safe(letter.key)}`,
    `consumer group  ${letter.consumerGroup}`,
    `reason          ${letter.reason} after ${letter.attempts} attempt(s)`,
    `error           ${safe(`${letter.errorName}: ${letter.errorMessage}`)}`,
    `first failure   ${letter.firstFailedAt}`,
    `dead-lettered   ${letter.failedAt}`,
    '',
    'headers',
    ...(letter.headers.length === 0
      ? ['  (none)']
      : letter.headers.map((header) => `  ${safe(header.name)}: ${safe(header.value)}`)),
    '',
    'history',
    ...letter.history.map(
      (entry) =>
        `  ${entry.at}  ${entry.action} (attempt ${entry.attempt})${
          entry.errorName ? `  ${safe(`${entry.errorName}: ${entry.errorMessage ?? ''}`)}` : ''
        }`,
    ),
    '',
    'payload',
    indent(safe(prettyPayload(letter), true)),
  ];
  return lines.join('\n');
}

export function prettyPayload(letter: Pick<DeadLetterDetail, 'payload' | 'payloadBase64'>): string {
  if (letter.payload === null) {
    return letter.payloadBase64 === null
      ? '(no value)'
      : `(not UTF-8 text; base64) ${letter.payloadBase64}`;
  }
  try {
    return JSON.stringify(JSON.parse(letter.payload), null, 2);
  } catch {
    return `(not JSON) ${letter.payload}`;
  }
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** `[=====>    ] 12/40  3 failed` — redrawn in place on a terminal. */
export function progressBar(done: number, total: number, failed: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}`.padEnd(width);
  return `[${bar}] ${done}/${total}${failed > 0 ? `  ${failed} failed` : ''}`;
}

/** The audit, newest first: when, who, what, dry or not, how many ids (the first), outcome. */
export function formatAudit(entries: AuditEntry[]): string {
  if (entries.length === 0) return 'no operator actions recorded';
  const header = ['AT', 'ACTOR', 'ACTION', 'DRY RUN', 'DEAD LETTERS', 'OUTCOME'];
  const rows = entries.map((entry) => [
    entry.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    safe(entry.actor),
    entry.action,
    entry.dryRun ? 'yes' : 'no',
    entry.deadLetterIds.length === 1
      ? safe(entry.deadLetterIds[0] as string)
      : `${entry.deadLetterIds.length} (${safe(entry.deadLetterIds[0] ?? '-')}…)`,
    safe(`${entry.outcome}${entry.reason ? `: ${entry.reason}` : ''}`),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((line) => line[column]?.length ?? 0)),
  );
  return all
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
