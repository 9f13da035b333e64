import { normalizeUsername, USERNAME_PATTERN } from './username.ts';

const fullWidth = (text: string) =>
  [...text]
    .map((c) => (/[!-~]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c))
    .join('');

describe('username normalization', () => {
  it('when a username is written in another case, width or with padding, then it normalizes to the stored form', () => {
    for (const variant of [
      'ADA.Lovelace_1815',
      ` ada.lovelace_1815\t`,
      fullWidth('ada.lovelace_1815'),
      '\u3000Ada.Lovelace_1815\u3000',
    ]) {
      expect({ variant, normalized: normalizeUsername(variant) }).toEqual({
        variant,
        normalized: 'ada.lovelace_1815',
      });
    }
  });

  it('when a username is one createUser accepts, then normalizing leaves it as it is, so stored usernames need no migration', () => {
    for (const username of ['ada', 'a.b_c-d', '0123456789', 'x'.repeat(64), 'ada.lovelace_1815']) {
      expect(USERNAME_PATTERN.test(username)).toBe(true);
      expect(normalizeUsername(username)).toBe(username);
    }
  });

  it('when a name only looks like a username (another script, combining marks), then it does not normalize into one', () => {
    for (const lookalike of ['аda', 'ada\u0301', 'İda']) {
      expect(USERNAME_PATTERN.test(normalizeUsername(lookalike))).toBe(false);
    }
  });
});
