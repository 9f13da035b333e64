import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicAudit, ViewAudit } from './audit.ts';
import type { Ledger } from './load.ts';

/**
 * The line every scenario ends with. Events are counted, not mutations: one acknowledged
 * mutation stands for one event (createUser → new-user-created, login → issued-token).
 */
export interface Figures {
  scenario: string;
  /** Mutations the clients sent. */
  sent: number;
  /** Mutations answered success (the producer says Kafka has the event). */
  acknowledged: number;
  /** Distinct events on the event topics (acknowledged or not: a failed answer may still have published). */
  published: number;
  /** Changes the view shows: users present plus tokens counted. */
  applied: number;
  /** Records on the dead-letter queue. */
  deadLettered: number;
  /**
   * Acknowledged events missing from the topics, plus events on the topics the view never
   * applied (and that were not dead-lettered). Must be 0.
   */
  lost: number;
  /** Token counts in the view above the distinct issued-token events of that user. Must be 0. */
  appliedTwice: number;
  /** Scenario-specific figures (redeliveries, failures while down, latencies). */
  extra: Record<string, string | number>;
  /** What the lost and doubled figures stand for, for the failure message. */
  evidence: string[];
}

/**
 * Compares the three sources: what the clients were told (ledger), what the broker holds (the
 * source of truth) and what the view shows.
 *
 * - lost = acknowledged users and tokens absent from the topics
 *        + per user, max(0, distinct events on the topics not dead-lettered − changes in the view)
 * - applied twice = per user, max(0, tokensIssued − distinct issued-token events of that user)
 *
 * A user's `new-user-created` is idempotent in the view by nature (a hash written twice is the
 * same hash), so double application is only observable, and counted, on tokens.
 */
export function computeFigures(
  scenario: string,
  ledger: Ledger,
  topics: TopicAudit,
  view: ViewAudit,
  extra: Record<string, string | number> = {},
): Figures {
  const acknowledged = ledger.records.filter((record) => record.outcome === 'acknowledged').length;
  let lost = 0;
  const evidence: string[] = [];
  const when = (match: (record: Ledger['records'][number]) => boolean) => {
    const record = ledger.records.find(match);
    return record
      ? ` (sent at ${Math.round(record.startedAt)} ms, answered in ${Math.round(record.ms)} ms)`
      : '';
  };
  for (const userId of ledger.users.keys()) {
    if (topics.userEvents.has(userId)) continue;
    lost += 1;
    evidence.push(
      `acknowledged user ${userId} has no new-user-created on the topic${when((r) => r.kind === 'createUser' && r.userId === userId)}`,
    );
  }
  for (const [tokenId, userId] of ledger.tokens) {
    if (topics.tokenIds.has(tokenId)) continue;
    lost += 1;
    evidence.push(
      `acknowledged token ${tokenId} of user ${userId} has no issued-token on the topic${when((r) => r.tokenId === tokenId)}`,
    );
  }

  let applied = 0;
  let appliedTwice = 0;
  let published = 0;
  const userIds = new Set([...topics.userEvents.keys(), ...topics.tokenEvents.keys()]);
  const live = (events: Set<string> | undefined) =>
    [...(events ?? [])].filter((id) => !topics.deadLetterEventIds.has(id)).length;
  for (const userId of userIds) {
    const userEvents = topics.userEvents.get(userId)?.size ?? 0;
    const tokenEvents = topics.tokenEvents.get(userId)?.size ?? 0;
    published += userEvents + tokenEvents;
    const expectedUser = Math.min(1, live(topics.userEvents.get(userId)));
    const expectedTokens = live(topics.tokenEvents.get(userId));
    const tokens = view.get(userId);
    const appliedUser = tokens === undefined ? 0 : 1;
    applied += appliedUser + (tokens ?? 0);
    const missing =
      Math.max(0, expectedUser - appliedUser) + Math.max(0, expectedTokens - (tokens ?? 0));
    const doubled = Math.max(0, (tokens ?? 0) - expectedTokens);
    lost += missing;
    appliedTwice += doubled;
    if (missing + doubled > 0) {
      evidence.push(
        `user ${userId}: topics have ${userEvents} user and ${tokenEvents} token events, the view ${tokens === undefined ? 'has no user' : `counts ${tokens} tokens`}`,
      );
    }
  }
  return {
    scenario,
    sent: ledger.records.length,
    acknowledged,
    published,
    applied,
    deadLettered: topics.deadLetters,
    lost,
    appliedTwice,
    extra,
    evidence,
  };
}

export function formatFigures(figures: Figures): string {
  const extra = Object.entries(figures.extra)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return (
    `${figures.scenario}: sent=${figures.sent} acknowledged=${figures.acknowledged} ` +
    `published=${figures.published} applied=${figures.applied} ` +
    `dead-lettered=${figures.deadLettered} lost=${figures.lost} ` +
    `applied-twice=${figures.appliedTwice}${extra ? ` | ${extra}` : ''}`
  );
}

/**
 * Prints the scenario's line (straight to stdout, so it shows in CI logs without jest's console
 * decoration) and keeps it for the end-of-run summary.
 */
export function reportFigures(figures: Figures): void {
  const line = formatFigures(figures);
  process.stdout.write(`\n[figures] ${line}\n`);
  const dir = process.env.RELIABILITY_RUN_DIR;
  if (dir) appendFileSync(join(dir, 'figures.txt'), `${line}\n`);
}

/**
 * A progress line on stderr (`[scenario +12.3 s] killed broker 2`) when RELIABILITY_VERBOSE is
 * set: where a slow or stuck scenario spends its time.
 */
export function createProgress(scenario: string): (step: string) => void {
  const started = performance.now();
  return (step) => {
    if (!process.env.RELIABILITY_VERBOSE) return;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`[${scenario} +${seconds} s] ${step}\n`);
  };
}
