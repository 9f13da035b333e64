import { authorizationFromHeaders } from './graphql-ide-headers.ts';

describe('authorizationFromHeaders', () => {
  it.each([
    ['{"Authorization": "Bearer abc"}', 'Bearer abc'],
    ['{"authorization": "Bearer abc", "x-other": "1"}', 'Bearer abc'],
    ['{\n  // a comment\n  "Authorization": "Bearer abc", /* another */\n}', 'Bearer abc'],
    ['{"Authorization": "Bearer a//b/*c*/d",}', 'Bearer a//b/*c*/d'],
    ['{"Authorization": "Bearer \\"quoted\\", then"}', 'Bearer "quoted", then'],
    ['{"Authorization": ["a", "b",],}', undefined],
  ])('when the header editor holds %j, then the authorization is %j', (text, expected) => {
    expect(authorizationFromHeaders(text)).toBe(expected);
  });

  it.each([
    [''],
    [null],
    ['{}'],
    ['{\n  // "Authorization": "Bearer <token>"\n}'],
    ['Authorization: Bearer abc'],
    ['["Authorization", "Bearer abc"]'],
    ['{"Authorization": 42}'],
    ['{"Authorization": "Bearer abc"'],
  ])('when the header editor holds %j, then there is no authorization', (text) => {
    expect(authorizationFromHeaders(text)).toBeUndefined();
  });

  // The editor's text is the person's own, but a tab must not hang on it: a trailing-comma
  // check by regular expression backtracked exponentially here (12.7 s at 22 pairs of `//`).
  it('when a comma is followed by a long run of comment slashes and no bracket, then it answers at once', () => {
    const text = `{"Authorization": "Bearer abc",${'//'.repeat(40)}\n`;
    expect(authorizationFromHeaders(text)).toBeUndefined();
    expect(authorizationFromHeaders(`${text}}`)).toBe('Bearer abc');
  });

  it('when its source is evaluated alone, as the IDE page does, then it still works', () => {
    const standalone = new Function(`return (${authorizationFromHeaders.toString()});`)() as (
      text: string,
    ) => string | undefined;
    expect(standalone('{ "Authorization": "Bearer alone", }')).toBe('Bearer alone');
  });
});
