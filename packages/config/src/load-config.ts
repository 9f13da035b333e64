import { KafkaEcsError } from '@kafka-ecs/errors';
import type { z } from 'zod';

/** Invalid configuration: the message is the one line the operator needs, naming the variable. */
export class ConfigError extends KafkaEcsError {}

// Variables whose value is a secret: the error names them and never quotes them.
const SECRET_NAME = /(PASSWORD|SECRET|TOKENS?)$/;

/** What the error may quote of a value: nothing of a secret, a URL without its credentials. */
function shownValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined || SECRET_NAME.test(name)) return undefined;
  // Credentials before an `@` (a URL's `user:password@`, parsed or not): everything up to the
  // last `@` after the scheme is hidden, whatever characters the password holds.
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, '$1***@');
}

/**
 * Validates `env` against `schema` and returns a frozen, typed configuration. Every problem is
 * reported at once, each as `VARIABLE: what is wrong`, so a misconfigured task fails at start
 * with one clear line instead of failing later at first use.
 */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
): Readonly<z.output<Schema>> {
  // Empty strings mean "unset": that is how ECS task definitions and shells leave a variable blank.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      const name = issue.path[0];
      const raw = typeof name === 'string' ? shownValue(name, cleaned[name]) : undefined;
      return `${variable}: ${issue.message}${raw === undefined ? '' : ` (got "${raw}")`}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}
