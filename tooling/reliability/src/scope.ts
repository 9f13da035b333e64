/**
 * Everything a scenario starts (brokers, Redis, services, clients) registers how to stop it
 * here; `close` stops all of it in reverse order, even when the scenario failed halfway, so a
 * run never leaves a process behind. Each cleanup is bounded by the caller's own bound.
 */
export interface Scope {
  /** Registers `cleanup` and returns `resource`, for `const x = scope.add(await start(), stop)`. */
  add<T>(resource: T, cleanup: (resource: T) => Promise<unknown> | unknown): T;
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** Runs every cleanup, last registered first; rethrows the first failure after all ran. */
  close(): Promise<void>;
}

export function createScope(): Scope {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const defer = (cleanup: () => Promise<unknown> | unknown) => {
    cleanups.push(cleanup);
  };
  return {
    add(resource, cleanup) {
      defer(() => cleanup(resource));
      return resource;
    },
    defer,
    async close() {
      const errors: unknown[] = [];
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    },
  };
}
