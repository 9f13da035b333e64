import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks `probe` every `intervalMs` until it says yes `times` in a row (true), or until `deadline`
 * (epoch ms) passes (false). For a cluster's metadata: it reaches the nodes one by one, and
 * kafkajs sends each request to whichever node it likes, so one yes does not speak for them all.
 */
export async function holdsInARow(
  probe: () => Promise<boolean>,
  options: { times: number; intervalMs: number; deadline: number },
): Promise<boolean> {
  for (let inARow = 0; Date.now() < options.deadline; await sleep(options.intervalMs)) {
    inARow = (await probe()) ? inARow + 1 : 0;
    if (inARow >= options.times) return true;
  }
  return false;
}
