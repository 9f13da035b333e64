export interface BatchingOptions {
  /**
   * How long the first record of a batch waits for company before the batch is sent. 0 sends
   * at the next turn of the event loop, which already gathers every publish started in the
   * same tick; records that arrive while a batch is in flight wait for it and go out together.
   * @defaultValue 0
   */
  lingerMs?: number;
  /** Most records in one batch; a full batch is sent at once. @defaultValue 500 */
  maxBatchSize?: number;
  /**
   * A record still queued this long after its `add` (behind a send that hangs) is dropped unsent,
   * and the callers of a batch whose send has not settled this long after it started are
   * rejected, all with `timeoutError()`: a caller waits at most twice this. Once sent, a batch
   * gets the whole bound, since the client is sized to give up within it: a shorter one would
   * tell callers a publish failed that the client then completed. The send itself is not
   * abandoned: the next batch still waits for it, so two sends never overlap (overlapping
   * idempotent sends can reuse sequence numbers and lose a record).
   * @defaultValue no bound
   */
  timeoutMs?: number;
  timeoutError?: (timeoutMs: number) => Error;
}

export interface Batcher<Item> {
  /** Resolves once the batch holding `item` has been sent, rejects with that batch's error. */
  add(item: Item): Promise<void>;
  /** Resolves when nothing is queued or in flight (used at shutdown). */
  flush(): Promise<void>;
  /** Records queued or in flight right now. */
  pending(): number;
}

interface Waiting<Item> {
  item: Item;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Drops the record unsent at its bound while it is still queued. */
  expiry?: NodeJS.Timeout;
}

/**
 * Turns many concurrent `add` calls into few `send` calls. At most one batch is in flight, so
 * the idempotent producer keeps per-partition order, and batches grow with load: under
 * concurrency every round trip to the broker carries everything that arrived during the last
 * one, which is why throughput scales with the number of callers instead of paying one round
 * trip each.
 */
export function createBatcher<Item>(
  /** `signal` aborts when the callers were rejected for taking too long: do not start work then. */
  send: (items: Item[], signal: AbortSignal) => Promise<void>,
  options: BatchingOptions = {},
): Batcher<Item> {
  const lingerMs = options.lingerMs ?? 0;
  const maxBatchSize = options.maxBatchSize ?? 500;
  const { timeoutMs } = options;
  const timeoutError = () => (options.timeoutError ?? defaultTimeoutError)(timeoutMs ?? 0);
  let queue: Waiting<Item>[] = [];
  let inFlight: Promise<void> | undefined;
  let inFlightSize = 0;
  let scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let idle: (() => void)[] = [];

  const cancelSchedule = () => {
    if (scheduled === undefined) return;
    if (lingerMs > 0) clearTimeout(scheduled as NodeJS.Timeout);
    else clearImmediate(scheduled as NodeJS.Immediate);
    scheduled = undefined;
  };

  const schedule = () => {
    if (inFlight || queue.length === 0) return;
    if (queue.length >= maxBatchSize) {
      sendNext();
      return;
    }
    scheduled ??= lingerMs > 0 ? setTimeout(sendNext, lingerMs) : setImmediate(sendNext);
  };

  const sendNext = () => {
    cancelSchedule();
    if (inFlight || queue.length === 0) return;
    const batch = queue.slice(0, maxBatchSize);
    queue = queue.slice(maxBatchSize);
    inFlightSize = batch.length;
    for (const waiting of batch) clearTimeout(waiting.expiry);
    let settled = false;
    const abort = new AbortController();
    const settle = (outcome: (waiting: Waiting<Item>) => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const waiting of batch) outcome(waiting);
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            const error = timeoutError();
            settle((waiting) => waiting.reject(error));
            abort.abort(error);
          }, timeoutMs);
    inFlight = Promise.resolve()
      .then(() =>
        send(
          batch.map((waiting) => waiting.item),
          abort.signal,
        ),
      )
      .then(
        () => settle((waiting) => waiting.resolve()),
        (error: unknown) => settle((waiting) => waiting.reject(error)),
      )
      .finally(() => {
        inFlight = undefined;
        inFlightSize = 0;
        // What arrived during the round trip has waited long enough: send it right away.
        if (queue.length > 0) sendNext();
        else {
          const waiters = idle;
          idle = [];
          for (const resolve of waiters) resolve();
        }
      });
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        const waiting: Waiting<Item> = { item, resolve, reject };
        if (timeoutMs !== undefined) {
          // Behind a send that hangs, a record would otherwise wait without bound.
          waiting.expiry = setTimeout(() => {
            // Records expire in the order they came: it is at the head, found at once.
            const index = queue.indexOf(waiting);
            if (index >= 0) queue.splice(index, 1);
            // No flush to resolve: one waits only while a send is in flight, and the send's
            // end settles it.
            reject(timeoutError());
          }, timeoutMs);
        }
        queue.push(waiting);
        schedule();
      });
    },
    flush() {
      if (!inFlight && queue.length === 0) return Promise.resolve();
      sendNext();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
    pending() {
      return queue.length + inFlightSize;
    },
  };
}

const defaultTimeoutError = (timeoutMs: number) =>
  new Error(`send timed out after ${timeoutMs} ms`);
