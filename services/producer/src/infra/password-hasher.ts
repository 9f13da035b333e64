import type { PasswordHasher } from '../domain/ports.ts';
import { createArgon2idScheme } from './argon2id-password-scheme.ts';
import { createScryptScheme } from './scrypt-password-scheme.ts';

export type PasswordHashAlgorithm = 'argon2id' | 'scrypt';

export interface PasswordHashSettings {
  /** What new hashes use; hashes of the other algorithm still verify, and are re-hashed. */
  passwordHash: PasswordHashAlgorithm;
  argon2MemoryKib: number;
  argon2Passes: number;
  scryptCost: number;
}

/**
 * Hashes with the configured algorithm and parameters, verifies any hash either scheme can
 * read (its parameters come from the hash itself), and tells which stored hashes are not the
 * current setting's, so a successful login can replace them.
 */
export function createPasswordHasher(settings: PasswordHashSettings): PasswordHasher {
  const argon2id = createArgon2idScheme({
    memoryKib: settings.argon2MemoryKib,
    passes: settings.argon2Passes,
    parallelism: 1,
  });
  const scrypt = createScryptScheme({ cost: settings.scryptCost });
  const current = settings.passwordHash === 'argon2id' ? argon2id : scrypt;
  const schemes = [argon2id, scrypt];
  return {
    hash: (password) => current.hash(password),
    async verify(password, hash) {
      const scheme = schemes.find((candidate) => candidate.owns(hash));
      return scheme ? scheme.verify(password, hash) : false;
    },
    needsRehash: (hash) => !current.isCurrent(hash),
  };
}
