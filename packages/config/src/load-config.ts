import { KafkaEcsError } from '@kafka-ecs/errors';
import type { z } from 'zod';

/** Invalid configuration: the message is the one line the operator needs, naming the variable. */
export class ConfigError extends KafkaEcsError {}

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
      const raw = typeof issue.path[0] === 'string' ? cleaned[issue.path[0]] : undefined;
      return `${variable}: ${issue.message}${raw === undefined ? '' : ` (got "${raw}")`}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}
