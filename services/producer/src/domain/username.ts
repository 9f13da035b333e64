/**
 * What createUser accepts as a username, and so the only form a stored username has. For it the
 * normalization below is the identity, which is why lookups can normalize without a migration.
 */
export const USERNAME_PATTERN = /^[a-z0-9._-]{3,64}$/;

/**
 * The one form of a username that the store's lookup and the login throttle's key use:
 * compatibility-composed (NFKC: full-width letters, ligatures and other presentation forms become
 * the plain ones), trimmed, lower-cased. With one function a variant that reaches a user's
 * account also counts against that account's throttle, and the other way round.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}
