import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordScheme } from './password-scheme.ts';

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
// Bounds on what a stored hash may ask for (1 GiB at N=2^20, r=8), so a corrupted record
// cannot make one verification exhaust memory.
const MAX_COST = 1 << 20;
const MAX_BLOCK_SIZE = 16;
const MAX_PARALLELISM = 16;

/**
 * scrypt, memory-hard: each hash needs 128 × cost × 8 bytes. The hash records its parameters
 * (`scrypt$N$r$p$salt$key`, the format stored before argon2id) so hashes made at any cost keep
 * verifying.
 */
export function createScryptScheme(options: { cost: number }): PasswordScheme {
  const derive = (password: string, salt: Buffer, cost: number, r: number, p: number) =>
    new Promise<Buffer>((resolve, reject) => {
      scrypt(
        password.normalize('NFKC'),
        salt,
        KEY_LENGTH,
        { N: cost, r, p, maxmem: 256 * cost * r + 1024 * 1024 },
        (error, key) => (error ? reject(error) : resolve(key)),
      );
    });

  const parse = (encoded: string) => {
    const [scheme, cost, r, p, salt, key, ...rest] = encoded.split('$');
    if (scheme !== 'scrypt' || !cost || !r || !p || !salt || !key || rest.length > 0) {
      return undefined;
    }
    const read = { cost: +cost, r: +r, p: +p, salt: Buffer.from(salt, 'base64') };
    const sane =
      Number.isInteger(read.cost) &&
      read.cost >= 2 &&
      read.cost <= MAX_COST &&
      (read.cost & (read.cost - 1)) === 0 &&
      Number.isInteger(read.r) &&
      read.r >= 1 &&
      read.r <= MAX_BLOCK_SIZE &&
      Number.isInteger(read.p) &&
      read.p >= 1 &&
      read.p <= MAX_PARALLELISM;
    return sane ? { ...read, key: Buffer.from(key, 'base64') } : undefined;
  };

  return {
    owns: (encoded) => encoded.startsWith('scrypt$'),
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, options.cost, BLOCK_SIZE, PARALLELISM);
      return [
        'scrypt',
        options.cost,
        BLOCK_SIZE,
        PARALLELISM,
        salt.toString('base64'),
        key.toString('base64'),
      ].join('$');
    },
    async verify(password, encoded) {
      const stored = parse(encoded);
      if (!stored) return false;
      const actual = await derive(password, stored.salt, stored.cost, stored.r, stored.p);
      return actual.length === stored.key.length && timingSafeEqual(actual, stored.key);
    },
    isCurrent(encoded) {
      const stored = parse(encoded);
      return (
        stored !== undefined &&
        stored.cost === options.cost &&
        stored.r === BLOCK_SIZE &&
        stored.p === PARALLELISM &&
        stored.key.length === KEY_LENGTH
      );
    },
  };
}
