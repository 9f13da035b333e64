import type { Figures } from '../../src/index.ts';

/** The two figures every scenario must end with. */
export function expectNothingLostOrAppliedTwice(figures: Figures): void {
  expect({
    lost: figures.lost,
    appliedTwice: figures.appliedTwice,
    evidence: figures.evidence.slice(0, 10),
  }).toEqual({ lost: 0, appliedTwice: 0, evidence: [] });
  // Not vacuous: the scenario did push events through, and the view shows them.
  expect(figures.acknowledged).toBeGreaterThan(0);
  expect(figures.applied).toBeGreaterThanOrEqual(figures.acknowledged);
}
