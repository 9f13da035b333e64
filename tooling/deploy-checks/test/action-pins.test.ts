import { listActions, listFiles, readText } from './repo.ts';
import { unpinnedActions } from './workflow-rules.ts';

// Every action runs at a commit someone reviewed: a tag can be moved to other code, a SHA cannot.
// The repository's own composite actions (.github/actions/) use actions too, and are checked alike.
const workflows = [...listFiles('.github/workflows', '.yml'), ...listActions()];

describe('actions pinned by commit SHA', () => {
  it('when the files are listed, then the composite actions are among them', () => {
    expect(workflows).toEqual(
      expect.arrayContaining([
        '.github/actions/push-scanned-image/action.yml',
        '.github/actions/install-copilot/action.yml',
      ]),
    );
  });

  it.each(workflows)(
    'when %s uses an action, then it is pinned to a full commit SHA with its version in a comment',
    (path) => {
      expect(unpinnedActions(readText(path))).toEqual([]);
    },
  );

  describe('controls: a mutated ci.yml must be rejected', () => {
    const ci = readText('.github/workflows/ci.yml');
    const checkout = /actions\/checkout@[0-9a-f]{40} # v[\d.]+/;

    it('when the checkout is pinned by tag, then the check rejects it', () => {
      expect(ci).toMatch(checkout);
      expect(unpinnedActions(ci.replace(checkout, 'actions/checkout@v7'))).toEqual([
        expect.stringContaining('actions/checkout@v7'),
      ]);
    });

    it('when a SHA is cut short, then the check rejects it', () => {
      const short = ci.replace(checkout, (match) =>
        match.replace(/@([0-9a-f]{12})[0-9a-f]{28}/, '@$1'),
      );
      expect(unpinnedActions(short)).toHaveLength(1);
    });

    it('when a SHA has no version comment, then the check rejects it', () => {
      const bare = ci.replace(checkout, (match) => match.replace(/ # v[\d.]+$/, ''));
      expect(unpinnedActions(bare)).toHaveLength(1);
    });

    it('when a Docker action floats on a tag, then the check rejects it', () => {
      expect(unpinnedActions('      - uses: docker://alpine:3 # v3\n')).toHaveLength(1);
    });
  });
});
