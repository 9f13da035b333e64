import { createScope, type Figures, finishScenario, type Scope } from '../../src/index.ts';

// The jest half of a scenario (src stays free of jest globals, it is built without them).

/** A scope for this file's scenarios, closed after each one however it ended. */
export function useScope(): Scope {
  const scope = createScope();
  afterEach(() => scope.close());
  return scope;
}

/**
 * Ends the scenario as `finishScenario` does (figures read and reported), then checks the two
 * figures every scenario must end with; returns the figures for the scenario's own checks.
 */
export async function finishAndExpectNothingLost(
  ...args: Parameters<typeof finishScenario>
): Promise<Figures> {
  const figures = await finishScenario(...args);
  expectNothingLostOrAppliedTwice(figures);
  return figures;
}

function expectNothingLostOrAppliedTwice(figures: Figures): void {
  expect({
    lost: figures.lost,
    appliedTwice: figures.appliedTwice,
    evidence: figures.evidence.slice(0, 10),
  }).toEqual({ lost: 0, appliedTwice: 0, evidence: [] });
  // Not vacuous: the scenario did push events through, and the view shows them.
  expect(figures.acknowledged).toBeGreaterThan(0);
  expect(figures.applied).toBeGreaterThanOrEqual(figures.acknowledged);
}
