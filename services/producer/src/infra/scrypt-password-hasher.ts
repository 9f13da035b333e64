import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher } from '../domain/ports.ts';

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

/**
 * scrypt, memory-hard: each hash needs 128 × cost × 8 bytes. The hash records its parameters
 * (`scrypt$N$r$p$salt$key`) so the cost can be raised later without breaking stored users.
 */
export function createScryptPasswordHasher(options: { cost: number }): PasswordHasher {
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

  return {
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
    async verify(password, hash) {
      const [scheme, cost, r, p, salt, key] = hash.split('$');
      if (scheme !== 'scrypt' || !cost || !r || !p || !salt || !key) return false;
      const expected = Buffer.from(key, 'base64');
      const actual = await derive(password, Buffer.from(salt, 'base64'), +cost, +r, +p);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
