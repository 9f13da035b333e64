import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StackError } from './errors.ts';

export interface Credential {
  username: string;
  password: string;
}

/** Who the secure stack lets in. */
export interface StackCredentials {
  /** The clients' SCRAM-SHA-512 user (services, tools, tests). */
  kafka: Credential;
  /** The broker's own SCRAM user, for its inter-broker listener (a separate principal). */
  broker: Credential;
  /** The ACL user of Redis (the default user is off). */
  redis: Credential;
}

/**
 * The credentials kept in `file` (0600), made at first start. `created` tells the caller that
 * whatever was set up with earlier ones (the broker's SCRAM users, stored at format time) no
 * longer matches. Passwords are hex: nothing in them needs quoting in a URL, a shell line, a
 * JAAS string or the storage tool's `--add-scram` syntax.
 */
export function ensureCredentials(file: string): {
  credentials: StackCredentials;
  created: boolean;
} {
  const existing = read(file);
  if (existing) return { credentials: existing, created: false };
  const credentials: StackCredentials = {
    kafka: { username: 'kafka-ecs', password: newPassword() },
    broker: { username: 'broker', password: newPassword() },
    redis: { username: 'kafka-ecs', password: newPassword() },
  };
  writeSecret(file, `${JSON.stringify(credentials, null, 2)}\n`);
  return { credentials, created: true };
}

/** Writes a file only its owner may read, whatever the umask or an earlier file's mode. */
export function writeSecret(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const newPassword = () => randomBytes(24).toString('hex');

function read(file: string): StackCredentials | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StackCredentials>;
    const complete = [parsed.kafka, parsed.broker, parsed.redis].every(
      (entry) => typeof entry?.username === 'string' && typeof entry.password === 'string',
    );
    return complete ? (parsed as StackCredentials) : undefined;
  } catch (error) {
    // Only a missing file means "make new ones": new passwords wipe the broker's SCRAM users,
    // so a file that cannot be read (permissions, half-written) must stop the start instead.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StackError(
      `cannot read the secure stack's credentials in ${file}: ${(error as Error).message}`,
    );
  }
}
