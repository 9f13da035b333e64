/** One password hashing algorithm and its encoding; the hasher picks one per stored hash. */
export interface PasswordScheme {
  /** Whether `encoded` is this scheme's format (whatever its parameters). */
  owns(encoded: string): boolean;
  /** A new hash at this scheme's configured parameters, carrying them and its salt. */
  hash(password: string): Promise<string>;
  /** Timing-safe; reads the parameters from `encoded`; false when it cannot read them. */
  verify(password: string, encoded: string): Promise<boolean>;
  /** Whether `encoded` was made with exactly this scheme's configured parameters. */
  isCurrent(encoded: string): boolean;
}
