import type { TopicAudit } from './audit.ts';
import { computeFigures, formatFigures } from './figures.ts';
import type { Ledger, MutationRecord } from './load.ts';

const ack = (kind: MutationRecord['kind']): MutationRecord => ({
  kind,
  startedAt: 0,
  ms: 1,
  outcome: 'acknowledged',
});

/** One user (u1) created and logged in twice, all acknowledged; a failed login on the side. */
function ledger(): Ledger {
  return {
    records: [
      ack('createUser'),
      ack('login'),
      ack('login'),
      { ...ack('login'), outcome: 'SERVICE_UNAVAILABLE' },
    ],
    users: new Map([['u1', { username: 'a', password: 'b', logins: 3 }]]),
    tokens: new Map([
      ['t1', 'u1'],
      ['t2', 'u1'],
    ]),
  };
}

function topics(overrides: Partial<TopicAudit> = {}): TopicAudit {
  return {
    userEvents: new Map([['u1', new Set(['e-user'])]]),
    tokenEvents: new Map([['u1', new Set(['e-t1', 'e-t2'])]]),
    tokenIds: new Set(['t1', 't2']),
    records: 3,
    undecodable: 0,
    deadLetters: 0,
    deadLetterEventIds: new Set(),
    deadLetterReasons: new Map(),
    ...overrides,
  };
}

describe('computeFigures', () => {
  it('when the topics and the view hold exactly what was acknowledged, then nothing is lost or applied twice', () => {
    const figures = computeFigures('s', ledger(), topics(), new Map([['u1', 2]]));
    expect(figures).toMatchObject({
      sent: 4,
      acknowledged: 3,
      published: 3,
      applied: 3,
      lost: 0,
      appliedTwice: 0,
    });
    expect(formatFigures(figures)).toBe(
      's: sent=4 acknowledged=3 published=3 applied=3 dead-lettered=0 lost=0 applied-twice=0',
    );
  });

  it('when an acknowledged token is not on the topic, then it is lost even if the view count matches', () => {
    const audit = topics({
      tokenEvents: new Map([['u1', new Set(['e-t1', 'e-other'])]]),
      tokenIds: new Set(['t1', 'other']),
    });
    expect(computeFigures('s', ledger(), audit, new Map([['u1', 2]])).lost).toBe(1);
  });

  it('when the view misses a user or a token, then each missing change is lost', () => {
    expect(computeFigures('s', ledger(), topics(), new Map([['u1', 1]])).lost).toBe(1);
    expect(computeFigures('s', ledger(), topics(), new Map()).lost).toBe(3);
  });

  it('when the view counts more tokens than distinct events, then the excess is applied twice', () => {
    expect(computeFigures('s', ledger(), topics(), new Map([['u1', 3]])).appliedTwice).toBe(1);
  });

  it('when an unacknowledged event is on the topic and applied, then it is published and applied, not lost', () => {
    const audit = topics({
      tokenEvents: new Map([['u1', new Set(['e-t1', 'e-t2', 'e-t3'])]]),
      tokenIds: new Set(['t1', 't2', 't3']),
    });
    expect(computeFigures('s', ledger(), audit, new Map([['u1', 3]]))).toMatchObject({
      published: 4,
      applied: 4,
      lost: 0,
      appliedTwice: 0,
    });
  });

  it('when an event was dead-lettered, then the view is not expected to show it', () => {
    const audit = topics({ deadLetters: 1, deadLetterEventIds: new Set(['e-t2']) });
    expect(computeFigures('s', ledger(), audit, new Map([['u1', 1]]))).toMatchObject({
      deadLettered: 1,
      lost: 0,
      appliedTwice: 0,
    });
  });
});
