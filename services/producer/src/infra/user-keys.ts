/** The two keys of one user, built from what every caller of the store holds: id and username. */
export interface UserKeys {
  /** The uniqueness index: username → user id. */
  username(username: string): string;
  /** The user as JSON with its state. */
  user(user: { id: string; username: string }): string;
}

/**
 * The user store's key names. The reserve, commit and release scripts touch a user's two keys
 * together, which a Redis Cluster allows only within one slot: there both carry the username as
 * their hash tag (`username:{ada}`, `user:{ada}:<id>`), so a user's keys share a slot and users
 * spread over all of them. A single Redis keeps the untagged names it always had
 * (`username:ada`, `user:<id>`): renaming them would orphan an existing deployment's users.
 * Usernames never hold a brace (USERNAME_PATTERN), nor may REDIS_KEY_PREFIX (a `{` there would
 * be the tag instead, putting every user in one slot).
 */
export function userKeys(prefix: string, options: { cluster: boolean }): UserKeys {
  if (options.cluster) {
    return {
      username: (username) => `${prefix}username:{${username}}`,
      user: ({ id, username }) => `${prefix}user:{${username}}:${id}`,
    };
  }
  return {
    username: (username) => `${prefix}username:${username}`,
    user: ({ id }) => `${prefix}user:${id}`,
  };
}
