import { formatDetail, formatTable, prettyPayload, progressBar } from './format.ts';

const letter = {
  id: 'new-user-created:3:42',
  topic: 'new-user-created',
  partition: 3,
  offset: '42',
  key: 'u-1',
  attempts: 5,
  reason: 'exhausted',
  errorName: 'TimeoutError',
  errorMessage: 'Redis did not answer\nwithin 5 s',
  firstFailedAt: '2026-11-21T10:00:00.000Z',
  failedAt: '2026-11-21T11:32:00.123Z',
  consumerGroup: 'consumer-svc',
  status: 'dead',
  payload: '{"id":"e-1","type":"new-user-created"}',
  payloadBase64: 'eyJ9',
  headers: [{ name: 'event-type', value: 'new-user-created' }],
  history: [
    {
      at: '2026-11-21T11:32:00.123Z',
      action: 'dead-lettered',
      attempt: 5,
      reason: 'exhausted',
      errorName: 'TimeoutError',
      errorMessage: 'x',
    },
  ],
};

describe('dlq output', () => {
  it('when dead letters are listed, then columns line up and the error fits on one line', () => {
    expect(formatTable([letter], 140).split('\n')).toEqual([
      'ID                     REASON     ATTEMPTS  FAILED AT             ERROR',
      'new-user-created:3:42  exhausted  5         2026-11-21 11:32:00Z  TimeoutError: Redis did not answer within 5 s',
    ]);
    expect(formatTable([letter], 80).split('\n')[1]).toBe(
      'new-user-created:3:42  exhausted  5         2026-11-21 11:32:00Z  TimeoutError: Redis…',
    );
    expect(formatTable([])).toBe('no dead letters match');
  });

  it('when one dead letter is shown, then its payload is pretty JSON and its history is there', () => {
    const text = formatDetail(letter);
    expect(text).toContain('reason          exhausted after 5 attempt(s)');
    expect(text).toContain('  event-type: new-user-created');
    expect(text).toContain('  2026-11-21T11:32:00.123Z  dead-lettered (attempt 5)');
    expect(text).toContain('    "type": "new-user-created"');
  });

  it('when the payload is not JSON or not text, then it says so', () => {
    expect(prettyPayload({ payload: '{broken', payloadBase64: 'e2Jyb2tlbg==' })).toBe(
      '(not JSON) {broken',
    );
    expect(prettyPayload({ payload: null, payloadBase64: '/w==' })).toBe(
      '(not UTF-8 text; base64) /w==',
    );
    expect(prettyPayload({ payload: null, payloadBase64: null })).toBe('(no value)');
  });

  it('when replays progress, then the bar fills and counts failures', () => {
    expect(progressBar(0, 4, 0, 8)).toBe('[        ] 0/4');
    expect(progressBar(2, 4, 1, 8)).toBe('[===>    ] 2/4  1 failed');
    expect(progressBar(4, 4, 0, 8)).toBe('[=======>] 4/4');
  });

  it('when a dead letter carries terminal escape sequences, then they are not passed to the terminal', () => {
    const evil = {
      ...letter,
      errorMessage: 'boom\u001b]0;owned\u0007\u001b[2J',
      key: 'k\u009b31m',
    };
    const text = formatDetail(evil) + formatTable([evil], 200);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(text).not.toMatch(/[\u001b\u0007\u009b]/);
    expect(text).toContain('boom?]0;owned??[2J');
  });
});
