import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PasswordScheme } from './password-scheme.ts';

/** Argon2's version 1.3, the only one node:crypto computes. */
const VERSION = 19;
const SALT_LENGTH = 16;
const TAG_LENGTH = 32;
// Bounds on what a stored hash may ask for, so a corrupted or forged record cannot make one
// verification take gigabytes or minutes.
const MAX_MEMORY_KIB = 1 << 20;
const MAX_PASSES = 16;
const MAX_PARALLELISM = 16;

export interface Argon2idParameters {
  /** Memory in KiB (`m`). */
  memoryKib: number;
  /** Iterations over that memory (`t`). */
  passes: number;
  /** Lanes (`p`). */
  parallelism: number;
}

/** OWASP's password storage cheat sheet (2025), first option: 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID: Argon2idParameters = { memoryKib: 19_456, passes: 2, parallelism: 1 };

const ENCODED =
  /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** base64 without padding, as the PHC string format writes it. */
const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/**
 * argon2id through node:crypto (libuv's pool, off the event loop), encoded as a PHC string
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$tag`) the reference implementation and libsodium read too.
 * Verification takes its parameters from the stored string, never from the current setting.
 */
export function createArgon2idScheme(parameters: Argon2idParameters): PasswordScheme {
  const derive = (password: string, salt: Buffer, p: Argon2idParameters, tagLength: number) =>
    new Promise<Buffer>((resolve, reject) => {
      argon2(
        'argon2id',
        {
          message: password.normalize('NFKC'),
          nonce: salt,
          memory: p.memoryKib,
          passes: p.passes,
          parallelism: p.parallelism,
          tagLength,
        },
        (error, key) => (error ? reject(error) : resolve(key)),
      );
    });

  const parse = (encoded: string) => {
    const match = ENCODED.exec(encoded);
    if (!match) return undefined;
    const [, version, m, t, p, salt, tag] = match;
    const read = {
      memoryKib: Number(m),
      passes: Number(t),
      parallelism: Number(p),
      salt: Buffer.from(salt ?? '', 'base64'),
      tag: Buffer.from(tag ?? '', 'base64'),
    };
    const sane =
      Number(version) === VERSION &&
      read.parallelism >= 1 &&
      read.parallelism <= MAX_PARALLELISM &&
      read.memoryKib >= 8 * read.parallelism &&
      read.memoryKib <= MAX_MEMORY_KIB &&
      read.passes >= 1 &&
      read.passes <= MAX_PASSES &&
      read.salt.length >= 8 &&
      read.tag.length >= 4;
    return sane ? read : undefined;
  };

  return {
    owns: (encoded) => encoded.startsWith('$argon2id$'),
    async hash(password) {
      const salt = randomBytes(SALT_LENGTH);
      const tag = await derive(password, salt, parameters, TAG_LENGTH);
      const { memoryKib: m, passes: t, parallelism: p } = parameters;
      return `$argon2id$v=${VERSION}$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(tag)}`;
    },
    async verify(password, encoded) {
      const stored = parse(encoded);
      if (!stored) return false;
      const actual = await derive(password, stored.salt, stored, stored.tag.length);
      return timingSafeEqual(actual, stored.tag);
    },
    isCurrent(encoded) {
      const stored = parse(encoded);
      return (
        stored !== undefined &&
        stored.memoryKib === parameters.memoryKib &&
        stored.passes === parameters.passes &&
        stored.parallelism === parameters.parallelism &&
        stored.tag.length === TAG_LENGTH
      );
    },
  };
}
