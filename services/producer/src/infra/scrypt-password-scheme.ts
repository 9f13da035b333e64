import { scrypt } from 'node:crypto';
import { createKdfPasswordScheme, type KdfFormat } from './kdf-password-scheme.ts';
import type { PasswordScheme } from './password-scheme.ts';

const BLOCK_SIZE = 8;
const PARALLELISM = 1;
// Bounds on what a stored hash may ask for (1 GiB at N=2^20, r=8), so a corrupted record
// cannot make one verification exhaust memory.
const MAX_COST = 1 << 20;
const MAX_BLOCK_SIZE = 16;
const MAX_PARALLELISM = 16;

export interface ScryptParameters {
  /** N, a power of two. */
  cost: number;
  /** r. */
  blockSize: number;
  /** p. */
  parallelism: number;
}

const isWhole = (value: number, min: number, max: number) =>
  Number.isInteger(value) && value >= min && value <= max;

/**
 * `scrypt$N$r$p$salt$key` (base64 with padding), the format stored before argon2id; scrypt is
 * memory-hard: each hash needs 128 × N × r bytes.
 */
export const SCRYPT_FORMAT: KdfFormat<ScryptParameters> = {
  prefix: 'scrypt$',
  decode(encoded) {
    const [scheme, cost, r, p, salt, key, ...rest] = encoded.split('$');
    if (scheme !== 'scrypt' || !cost || !r || !p || !salt || !key || rest.length > 0) {
      return undefined;
    }
    const parameters = { cost: +cost, blockSize: +r, parallelism: +p };
    const sane =
      isWhole(parameters.cost, 2, MAX_COST) &&
      (parameters.cost & (parameters.cost - 1)) === 0 &&
      isWhole(parameters.blockSize, 1, MAX_BLOCK_SIZE) &&
      isWhole(parameters.parallelism, 1, MAX_PARALLELISM);
    if (!sane) return undefined;
    return { parameters, salt: Buffer.from(salt, 'base64'), tag: Buffer.from(key, 'base64') };
  },
  encode: ({ parameters, salt, tag }) =>
    [
      'scrypt',
      parameters.cost,
      parameters.blockSize,
      parameters.parallelism,
      salt.toString('base64'),
      tag.toString('base64'),
    ].join('$'),
  derive: (password, salt, { cost, blockSize: r, parallelism: p }, tagLength) =>
    new Promise<Buffer>((resolve, reject) => {
      scrypt(
        password,
        salt,
        tagLength,
        { N: cost, r, p, maxmem: 256 * cost * r + 1024 * 1024 },
        (error, key) => (error ? reject(error) : resolve(key)),
      );
    }),
  sameParameters: (a, b) =>
    a.cost === b.cost && a.blockSize === b.blockSize && a.parallelism === b.parallelism,
};

/** scrypt at N = `cost` (r 8, p 1); hashes made at any cost keep verifying. */
export function createScryptScheme(options: { cost: number }): PasswordScheme {
  return createKdfPasswordScheme(SCRYPT_FORMAT, {
    cost: options.cost,
    blockSize: BLOCK_SIZE,
    parallelism: PARALLELISM,
  });
}
