import type { DeadLetterReason } from '@kafka-ecs/events';

/** What operators are told when records are dead-lettered (contract: "Alerts"). */
export interface DeadLetterAlerts {
  /** One committed dead letter. Never throws and never waits: consumption goes on regardless. */
  deadLettered(entry: { topic: string; reason: DeadLetterReason }): void;
  /** Stops the timer; sends what is pending if the interval allows, bounded by the send. */
  close(): Promise<void>;
}

/** How the alerts wait for the end of an interval; tests pass a clock of their own. */
export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  // A pending alert never keeps the process alive; close() decides what happens to it.
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Pending {
  count: number;
  topics: Map<string, number>;
  reasons: Map<string, number>;
}

const empty = (): Pending => ({ count: 0, topics: new Map(), reasons: new Map() });

/**
 * Coalesces dead letters into at most one message per `minIntervalMs` (measured from the start
 * of the last attempt; across the group's tasks through `claimSlot`). The first dead letter after a quiet interval is sent at once; what comes
 * while a message waits or is in flight joins the next. A failed send is counted by `onFailure`
 * and its counts go back into the next message, so nothing is lost while the webhook is down.
 */
export function createDeadLetterAlerts(deps: {
  groupId: string;
  minIntervalMs: number;
  /** Delivers one message; rejects on failure. Bounded by the caller (the webhook's timeout). */
  send: (text: string) => Promise<void>;
  onFailure: (error: unknown) => void;
  /**
   * Claims the group's alert slot for `ms` (shared by every task of the consumer group, so the
   * group as a whole alerts at most once per interval); false when another task holds it.
   * @defaultValue always granted (one task)
   */
  claimSlot?: (ms: number) => Promise<boolean>;
  /** Told what was pending but not sent at close (the interval had not passed). */
  onUnsent: (pending: { count: number }) => void;
  now?: () => number;
  timers?: Timers;
}): DeadLetterAlerts {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  let pending = empty();
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  let timer: unknown;
  let closed = false;

  const schedule = () => {
    if (closed || inFlight || timer || pending.count === 0) return;
    const wait = lastAttemptAt + deps.minIntervalMs - now();
    if (wait <= 0) {
      flush();
      return;
    }
    timer = timers.set(flush, wait);
  };

  const flush = () => {
    timer = undefined;
    if (pending.count === 0) return;
    const sending = pending;
    pending = empty();
    lastAttemptAt = now();
    inFlight = (async () => {
      // A slot that cannot be claimed (Redis down) does not silence the alert.
      const claimed = deps.claimSlot
        ? await deps.claimSlot(deps.minIntervalMs).catch(() => true)
        : true;
      if (!claimed) {
        // Another task of the group alerted within the interval: these wait for the next slot.
        merge(pending, sending);
        return;
      }
      await deps.send(alertText(deps.groupId, sending));
    })()
      .catch((error: unknown) => {
        merge(pending, sending);
        deps.onFailure(error);
      })
      .finally(() => {
        inFlight = undefined;
        schedule();
      });
  };

  return {
    deadLettered({ topic, reason }) {
      pending.count += 1;
      add(pending.topics, topic, 1);
      add(pending.reasons, reason, 1);
      schedule();
    },
    async close() {
      // From here nothing starts by itself: only this final, explicit send.
      closed = true;
      if (timer) timers.clear(timer);
      timer = undefined;
      while (inFlight) await inFlight;
      if (pending.count > 0 && now() - lastAttemptAt >= deps.minIntervalMs) {
        flush();
        while (inFlight) await inFlight;
      }
      if (pending.count > 0) deps.onUnsent({ count: pending.count });
    },
  };
}

/** The message: how many, on which topics, for which reasons; never a key or a payload. */
function alertText(groupId: string, pending: Pending): string {
  const list = (counts: Map<string, number>) =>
    [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => `${name} ×${count}`)
      .join(', ');
  const records = pending.count === 1 ? '1 record' : `${pending.count} records`;
  return `:rotating_light: ${records} dead-lettered in consumer group ${groupId}. Topics: ${list(pending.topics)}. Reasons: ${list(pending.reasons)}. See the dead-letter runbook (pnpm dlq list).`;
}

function add(counts: Map<string, number>, name: string, count: number) {
  counts.set(name, (counts.get(name) ?? 0) + count);
}

function merge(into: Pending, from: Pending) {
  into.count += from.count;
  for (const [topic, count] of from.topics) add(into.topics, topic, count);
  for (const [reason, count] of from.reasons) add(into.reasons, reason, count);
}
