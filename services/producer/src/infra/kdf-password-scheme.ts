import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { PasswordScheme } from './password-scheme.ts';

/** What a stored hash says: the KDF's parameters, its salt and its derived key (the tag). */
export interface DecodedHash<P> {
  parameters: P;
  salt: Buffer;
  tag: Buffer;
}

/** The part of a password scheme that is its own: the KDF and how its hashes are written. */
export interface KdfFormat<P> {
  /** What every hash of the format starts with (`$argon2id$`, `scrypt$`). */
  prefix: string;
  /** Reads a hash; undefined when it is not well formed or its parameters are out of bounds. */
  decode(encoded: string): DecodedHash<P> | undefined;
  encode(hash: DecodedHash<P>): string;
  /** Derives `tagLength` bytes; the password arrives normalized. */
  derive(password: string, salt: Buffer, parameters: P, tagLength: number): Promise<Buffer>;
  sameParameters(a: P, b: P): boolean;
}

export const SALT_LENGTH = 16;
export const TAG_LENGTH = 32;
// Bounds on what a stored hash may carry, the same for every scheme: a tag shorter than 16 bytes
// would make a forged record easy to match, and a longer one than 64 only costs time; salts
// below 8 bytes are refused by argon2 and weak for scrypt.
const MIN_TAG_LENGTH = 16;
const MAX_TAG_LENGTH = 64;
const MIN_SALT_LENGTH = 8;
const MAX_SALT_LENGTH = 64;

/**
 * A password scheme from a KDF format: new hashes at `parameters` with a fresh salt and a
 * `TAG_LENGTH` tag; verification with the parameters, salt and tag length the stored hash
 * carries, compared in constant time. One implementation for every scheme, so their verify,
 * parsing bounds and idea of "current" cannot drift apart again.
 */
export function createKdfPasswordScheme<P>(format: KdfFormat<P>, parameters: P): PasswordScheme {
  // Unicode forms of one password (é as one code point or two) are the same password.
  const normalized = (password: string) => password.normalize('NFKC');
  const decode = (encoded: string) => {
    const stored = format.decode(encoded);
    const sane =
      stored !== undefined &&
      stored.salt.length >= MIN_SALT_LENGTH &&
      stored.salt.length <= MAX_SALT_LENGTH &&
      stored.tag.length >= MIN_TAG_LENGTH &&
      stored.tag.length <= MAX_TAG_LENGTH;
    return sane ? stored : undefined;
  };
  return {
    owns: (encoded) => encoded.startsWith(format.prefix),
    async hash(password) {
      const salt = randomBytes(SALT_LENGTH);
      const tag = await format.derive(normalized(password), salt, parameters, TAG_LENGTH);
      return format.encode({ parameters, salt, tag });
    },
    async verify(password, encoded) {
      const stored = decode(encoded);
      if (!stored) return false;
      const actual = await format.derive(
        normalized(password),
        stored.salt,
        stored.parameters,
        stored.tag.length,
      );
      return timingSafeEqual(actual, stored.tag);
    },
    isCurrent(encoded) {
      const stored = decode(encoded);
      return (
        stored !== undefined &&
        format.sameParameters(stored.parameters, parameters) &&
        stored.tag.length === TAG_LENGTH
      );
    },
  };
}
