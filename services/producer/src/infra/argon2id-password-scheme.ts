import { argon2 } from 'node:crypto';
import { createKdfPasswordScheme, type KdfFormat } from './kdf-password-scheme.ts';
import type { PasswordScheme } from './password-scheme.ts';

/** Argon2's version 1.3, the only one node:crypto computes. */
const VERSION = 19;
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
 * The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$tag`) the reference implementation and
 * libsodium read too; argon2id through node:crypto (libuv's pool, off the event loop).
 */
export const ARGON2ID_FORMAT: KdfFormat<Argon2idParameters> = {
  prefix: '$argon2id$',
  decode(encoded) {
    const match = ENCODED.exec(encoded);
    if (!match) return undefined;
    const [, version, m, t, p, salt, tag] = match;
    const parameters = { memoryKib: Number(m), passes: Number(t), parallelism: Number(p) };
    const sane =
      Number(version) === VERSION &&
      parameters.parallelism >= 1 &&
      parameters.parallelism <= MAX_PARALLELISM &&
      parameters.memoryKib >= 8 * parameters.parallelism &&
      parameters.memoryKib <= MAX_MEMORY_KIB &&
      parameters.passes >= 1 &&
      parameters.passes <= MAX_PASSES;
    if (!sane) return undefined;
    return {
      parameters,
      salt: Buffer.from(salt ?? '', 'base64'),
      tag: Buffer.from(tag ?? '', 'base64'),
    };
  },
  encode({ parameters: { memoryKib: m, passes: t, parallelism: p }, salt, tag }) {
    return `$argon2id$v=${VERSION}$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(tag)}`;
  },
  derive: (password, salt, parameters, tagLength) =>
    new Promise<Buffer>((resolve, reject) => {
      argon2(
        'argon2id',
        {
          message: password,
          nonce: salt,
          memory: parameters.memoryKib,
          passes: parameters.passes,
          parallelism: parameters.parallelism,
          tagLength,
        },
        (error, key) => (error ? reject(error) : resolve(key)),
      );
    }),
  sameParameters: (a, b) =>
    a.memoryKib === b.memoryKib && a.passes === b.passes && a.parallelism === b.parallelism,
};

/** argon2id at `parameters`; verification takes its parameters from the stored string. */
export function createArgon2idScheme(parameters: Argon2idParameters): PasswordScheme {
  return createKdfPasswordScheme(ARGON2ID_FORMAT, parameters);
}
