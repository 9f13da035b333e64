import { loadProducerConfig } from '@kafka-ecs/config';
import { REPLICA_WAIT_MS } from '@kafka-ecs/service-kit';
import { REDIS_COMMAND_TIMEOUT_MS } from '../infra/redis-client.ts';
import { COMMIT_ATTEMPTS, FIRST_PAUSE_MS } from './user-commits.ts';

/**
 * The longest a username's reservation must hold, by the producer's own figures: the reserve's
 * WAIT (with replicas), the publish (the config counts it twice, as its own rule does), then the
 * caller's commit attempts, each bounded by Redis' command timeout and its WAIT, and the pauses
 * between them (doubling from the first).
 */
function commitWorstCaseMs(publishTimeoutMs: number, replicas: boolean): number {
  const wait = replicas ? REPLICA_WAIT_MS : 0;
  let pauses = 0;
  for (let attempt = 1; attempt < COMMIT_ATTEMPTS; attempt++) {
    pauses += FIRST_PAUSE_MS * 2 ** (attempt - 1);
  }
  return wait + 2 * publishTimeoutMs + COMMIT_ATTEMPTS * (REDIS_COMMAND_TIMEOUT_MS + wait) + pauses;
}

// USERNAME_RESERVATION_TTL_MS' rule (packages/config) states the producer's figures as numbers:
// this fails when the producer's commit outgrows what the rule lets through.
describe("the reservation's TTL against the commit's worst case", () => {
  it.each([
    [5_000, false],
    [5_000, true],
    [30_000, true],
  ])(
    'when PUBLISH_TIMEOUT_MS is %i (replicas: %s), then the config refuses a reservation the commit can outlast',
    (publishTimeoutMs, replicas) => {
      const env = {
        PUBLISH_TIMEOUT_MS: String(publishTimeoutMs),
        REDIS_WAIT_REPLICAS: replicas ? '1' : '0',
      };
      const worst = commitWorstCaseMs(publishTimeoutMs, replicas);

      expect(() =>
        loadProducerConfig({ ...env, USERNAME_RESERVATION_TTL_MS: String(worst - 1) }),
      ).toThrow(/USERNAME_RESERVATION_TTL_MS: must be at least/);
    },
  );
});
