import { Ajv } from 'ajv';
import { z } from 'zod';
import { type EventDefinition, envelopeSchema } from './envelope.ts';

/**
 * A whole event of one type and version checked by code compiled from its schema's JSON Schema:
 * it builds nothing for a valid event, where zod's parse copies every object and allocates for
 * every checked string, half of the consumer's garbage (docs/performance.md). It stands in for
 * zod only where it says yes: zod stays the judge of anything it refuses, and of the message.
 */
export type CompiledCheck = (value: unknown) => boolean;

// Lengths count code points on both sides (zod 4 as JSON Schema does). `unicodeRegExp: false`:
// patterns run as zod runs them, without the `u` flag. Formats are not checked by name: each
// format kept below is checked by its pattern.
const ajv = new Ajv({ unicodeRegExp: false, validateFormats: false });

// What the JSON Schema says exactly as zod does. Anything else (a refinement, a transform, a
// default, a format checked by code rather than a pattern) would let the compiled check pass
// what zod refuses, or return what zod would change, so such a schema gets no compiled check.
const TYPES = new Set(['object', 'string', 'number', 'literal', 'nullable', 'null']);
const CHECKS = new Set(['min_length', 'max_length', 'string_format', 'greater_than', 'less_than']);
const FORMATS = new Set(['uuid', 'email', 'datetime', 'regex']);

interface SchemaDef {
  type: string;
  check?: string;
  format?: string;
  pattern?: RegExp;
  checks?: { _zod: { def: SchemaDef } }[];
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  catchall?: { _zod: { def: SchemaDef } };
  innerType?: { _zod: { def: SchemaDef } };
}

/** Why the schema cannot be compiled exactly, or null when it can. */
function unrepresentable(def: SchemaDef, path: string): string | null {
  if (!TYPES.has(def.type)) return `${path}: a ${def.type}`;
  for (const check of [def, ...(def.checks ?? []).map((c) => c._zod.def)]) {
    if (check.check === undefined) continue;
    if (!CHECKS.has(check.check)) return `${path}: a ${check.check} check`;
    if (check.check === 'string_format') {
      if (!FORMATS.has(check.format ?? '') || !check.pattern) return `${path}: ${check.format}`;
      if (check.pattern.flags !== '') return `${path}: a pattern with flags`;
    }
  }
  if (def.type === 'object') {
    // Strict only: a loose object's output carries what zod would strip or keep by its rules.
    if (def.catchall?._zod.def.type !== 'never') return `${path}: not strict`;
    for (const [key, field] of Object.entries(def.shape ?? {})) {
      const reason = unrepresentable(field._zod.def, `${path}.${key}`);
      if (reason) return reason;
    }
  }
  if (def.innerType) return unrepresentable(def.innerType._zod.def, path);
  return null;
}

/** The whole event of `definition`'s type and version, as zod checks it. */
const eventSchema = (definition: EventDefinition<string, unknown>) =>
  envelopeSchema.extend({
    type: z.literal(definition.type),
    version: z.literal(definition.version),
    data: definition.data as unknown as z.ZodType,
  });

/**
 * The compiled check of a whole event of `definition`'s type and version, or why there is none:
 * the schema holds something the check cannot say as zod does (zod alone then decodes it).
 */
export function compileCheck(
  definition: EventDefinition<string, unknown>,
): { check: CompiledCheck } | { unrepresentable: string } {
  const schema = eventSchema(definition);
  const reason = unrepresentable(schema._zod.def as SchemaDef, definition.type);
  if (reason) return { unrepresentable: reason };
  try {
    const compiled = ajv.compile(
      // An empty registry: metadata (`.meta()`) merged into the JSON Schema could loosen it.
      z.toJSONSchema(schema, {
        target: 'draft-7',
        unrepresentable: 'throw',
        metadata: z.registry(),
      }),
    );
    return { check: (value) => compiled(value) === true };
  } catch (error) {
    // Its events are left to zod: a schema the compiler cannot take must not fail decoding.
    return { unrepresentable: `not compiled: ${(error as Error).message}` };
  }
}
