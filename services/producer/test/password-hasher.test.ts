import { randomBytes, scryptSync } from 'node:crypto';
import { ARGON2ID_FORMAT } from '../src/infra/argon2id-password-scheme.ts';
import { createPasswordHasher, type PasswordHashSettings } from '../src/infra/password-hasher.ts';

/** Small parameters where the test is not about cost: each hash then takes a few ms. */
const cheap: PasswordHashSettings = {
  passwordHash: 'argon2id',
  argon2MemoryKib: 1024,
  argon2Passes: 1,
  scryptCost: 1024,
};

// The argon2 reference implementation's own test vector (src/test.c: argon2id, v=19,
// t=2, m=2^16, p=1, "password", "somesalt"): our encoding is the standard PHC string.
const REFERENCE =
  '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc';

describe('password hasher', () => {
  it('when hashing with argon2id, then a PHC string carries its parameters and a 16-byte salt, and the password verifies', async () => {
    const hasher = createPasswordHasher({ ...cheap, argon2MemoryKib: 19_456, argon2Passes: 2 });
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(await hasher.verify('correct horse battery', hash)).toBe(true);
    expect(await hasher.verify('correct horse battery!', hash)).toBe(false);
    expect(await hasher.hash('correct horse battery')).not.toBe(hash);
  });

  it("when given the reference implementation's hash, then it verifies the right password only", async () => {
    const hasher = createPasswordHasher(cheap);
    expect(await hasher.verify('password', REFERENCE)).toBe(true);
    expect(await hasher.verify('passwore', REFERENCE)).toBe(false);
  });

  it('when a hash was made with other parameters or the other algorithm, then it still verifies and needs a rehash', async () => {
    const current = createPasswordHasher(cheap);
    const older = [
      await createPasswordHasher({ ...cheap, argon2MemoryKib: 512 }).hash('pw-12345678'),
      await createPasswordHasher({ ...cheap, argon2Passes: 2 }).hash('pw-12345678'),
      await createPasswordHasher({ ...cheap, passwordHash: 'scrypt' }).hash('pw-12345678'),
    ];
    expect(older[2]).toMatch(/^scrypt\$1024\$8\$1\$/);
    for (const hash of older) {
      expect(await current.verify('pw-12345678', hash)).toBe(true);
      expect(await current.verify('pw-1234567', hash)).toBe(false);
      expect(current.needsRehash(hash)).toBe(true);
    }
    expect(current.needsRehash(await current.hash('pw-12345678'))).toBe(false);
  });

  it('when scrypt is the setting, then argon2id hashes and scrypt hashes of another cost need a rehash', async () => {
    const scrypt = createPasswordHasher({ ...cheap, passwordHash: 'scrypt', scryptCost: 2048 });
    expect(scrypt.needsRehash(await scrypt.hash('pw-12345678'))).toBe(false);
    expect(scrypt.needsRehash(REFERENCE)).toBe(true);
    const cheaper = await createPasswordHasher({ ...cheap, passwordHash: 'scrypt' }).hash('pw');
    expect(scrypt.needsRehash(cheaper)).toBe(true);
    expect(await scrypt.verify('pw', cheaper)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['unknown scheme', '$bcrypt$10$abcdefghijklmnopqrstuv'],
    ['argon2i', REFERENCE.replace('argon2id', 'argon2i')],
    ['other version', REFERENCE.replace('v=19', 'v=16')],
    ['huge memory', REFERENCE.replace('m=65536', 'm=4194304')],
    ['many passes', REFERENCE.replace('t=2', 't=1000')],
    ['truncated', REFERENCE.slice(0, 40)],
    [
      'scrypt, huge cost',
      'scrypt$4194304$8$1$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    ],
    ['scrypt, cost not a power of two', 'scrypt$1000$8$1$c29tZXNhbHQ=$CTFhFdXP'],
    ['scrypt, extra field', 'scrypt$1024$8$1$c29tZXNhbHQ=$CTFhFdXP$x'],
    ['argon2id, 8-byte tag', `${REFERENCE.slice(0, REFERENCE.lastIndexOf('$'))}$CTFhFdXPJO0`],
    ['scrypt, 8-byte key', 'scrypt$1024$8$1$c29tZXNhbHQ=$CTFhFdXPJO0='],
    [
      'scrypt, 4-byte salt',
      'scrypt$1024$8$1$c29tZQ==$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc=',
    ],
  ])(
    'when a stored hash is unreadable or asks too much (%s), then it verifies nothing and needs a rehash',
    async (_, hash) => {
      const hasher = createPasswordHasher(cheap);
      const started = performance.now();
      expect(await hasher.verify('password', hash)).toBe(false);
      // Refused from its text alone, before any derivation.
      expect(performance.now() - started).toBeLessThan(50);
      expect(hasher.needsRehash(hash)).toBe(true);
    },
  );

  it('when a password is written in another Unicode form, then it is the same password', async () => {
    const hasher = createPasswordHasher(cheap);
    const hash = await hasher.hash('caf\u00e9-latte');
    expect(await hasher.verify('cafe\u0301-latte', hash)).toBe(true);
  });

  it('when a stored hash has a 64-byte tag, then either scheme verifies it at that length and asks for a rehash', async () => {
    const hasher = createPasswordHasher(cheap);
    const salt = randomBytes(16);
    // scrypt made elsewhere with a 64-byte key (its verify used to accept 32 bytes only).
    const key = scryptSync('pw-12345678', salt, 64, { N: 1024, r: 8, p: 1 });
    const scrypt = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    const parameters = { memoryKib: 1024, passes: 1, parallelism: 1 };
    const tag = await ARGON2ID_FORMAT.derive('pw-12345678', salt, parameters, 64);
    const argon2id = ARGON2ID_FORMAT.encode({ parameters, salt, tag });
    for (const hash of [scrypt, argon2id]) {
      expect(await hasher.verify('pw-12345678', hash)).toBe(true);
      expect(await hasher.verify('pw-1234567', hash)).toBe(false);
      // The current parameters, but not the current tag length.
      expect(hasher.needsRehash(hash)).toBe(true);
    }
  });
});
