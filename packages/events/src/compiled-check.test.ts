import { z } from 'zod';
import { issuedTokenData, newUserData } from '../test/support/event-data.ts';
import { eventDefinitions } from './codec.ts';
import { compileCheck } from './compiled-check.ts';
import { type EventDefinition, envelopeSchema } from './envelope.ts';
import { createEvent, decodeEvent } from './index.ts';

// The compiled check may only say yes where zod says yes: decodeEvent returns what it passes
// without zod's parse. These tests hold it to zod over every field and many kinds of bad value.

const DEFINITIONS = eventDefinitions();

const checkOf = (definition: EventDefinition<string, unknown>) => {
  const compiled = compileCheck(definition);
  if (!('check' in compiled)) throw new Error(`no compiled check: ${compiled.unrepresentable}`);
  return compiled.check;
};

/** zod's verdict as decodeEvent reached it before the compiled check: envelope, then data. */
function zodAccepts(definition: EventDefinition<string, unknown>, value: unknown): boolean {
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) return false;
  const { type, version, data } = envelope.data;
  if (type !== definition.type || version !== definition.version) return false;
  return definition.data.safeParse(data).success;
}

/** A valid event of each definition, by `type@version`. */
const valid = {
  'new-user-created@1': () => createEvent('new-user-created', newUserData),
  'issued-token@1': () => createEvent('issued-token', issuedTokenData),
} as Record<string, () => unknown>;

// Values a field may be given: other types, limits in code points and in UTF-16 units, spellings
// near each pattern, and bytes a pattern should refuse.
const BAD_VALUES: unknown[] = [
  null,
  0,
  1.5,
  -1,
  true,
  [],
  {},
  '',
  ' ',
  'x',
  'a'.repeat(128),
  'a'.repeat(129),
  'a'.repeat(254),
  'a'.repeat(255),
  '😀'.repeat(50),
  '😀'.repeat(51),
  '😀'.repeat(64),
  '😀'.repeat(65),
  '😀'.repeat(127),
  'ada\u0000',
  'ADA.lovelace',
  'ada lovelace',
  'ada@example',
  'ada@@example.com',
  '.ada@example.com',
  'ada..x@example.com',
  'ada@example.c',
  'ada@exämple.com',
  'adä@example.com',
  '2026-02-29T10:00:00.000Z',
  '2024-02-29T10:00:00.000Z',
  '2026-11-21T24:00:00.000Z',
  '2026-11-21T10:00:60Z',
  '2026-11-21T10:00:00+01:00',
  '2026-11-21T10:00:00.000z',
  '2026-11-21 10:00:00Z',
  '2026-11-21T10:00:00.000Z\n',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  '123e4567-e89b-92d3-a456-426614174000',
  '123e4567-e89b-12d3-c456-426614174000',
  'urn:uuid:123e4567-e89b-12d3-a456-426614174000',
  'new-user-created',
  'issued-token',
];

/** Every event made by replacing one field (of the envelope or of data) with a bad value. */
function* mutations(event: Record<string, unknown>) {
  const data = event.data as Record<string, unknown>;
  for (const value of BAD_VALUES) {
    for (const key of Object.keys(event)) yield { ...event, [key]: value };
    for (const key of Object.keys(data)) yield { ...event, data: { ...data, [key]: value } };
  }
  for (const key of Object.keys(event)) {
    const { [key]: _, ...rest } = event;
    yield rest;
  }
  for (const key of Object.keys(data)) {
    const { [key]: _, ...rest } = data;
    yield { ...event, data: rest };
  }
  yield { ...event, extra: 1 };
  yield { ...event, data: { ...data, password: 'secret' } };
  yield { ...event, version: 1.0000001 };
  yield JSON.parse(JSON.stringify(event).replace('{', '{"__proto__":{"x":1},'));
  yield JSON.parse(JSON.stringify(event).replace('"data":{', '"data":{"__proto__":null,'));
}

describe('the compiled check of each event', () => {
  it('when the codec knows an event type and version, then it has a compiled check and a valid event here', () => {
    for (const definition of DEFINITIONS) {
      const key = `${definition.type}@${definition.version}`;
      expect({ key, compiled: 'check' in compileCheck(definition) }).toEqual({
        key,
        compiled: true,
      });
      expect({ key, fixture: key in valid }).toEqual({ key, fixture: true });
    }
  });

  it.each(DEFINITIONS.map((d) => [d.type, d] as const))(
    'when a %s event is valid, then it passes, as it does zod',
    (type, definition) => {
      const event = (valid[`${type}@${definition.version}`] as () => unknown)();
      expect(zodAccepts(definition, event)).toBe(true);
      expect(checkOf(definition)(event)).toBe(true);
    },
  );

  it.each(DEFINITIONS.map((d) => [d.type, d] as const))(
    'when a %s event has any field wrong, then it gets the verdict zod gives',
    (type, definition) => {
      const check = checkOf(definition);
      const verdicts = { passed: 0, refused: 0 };
      for (const event of mutations(
        (valid[`${type}@${definition.version}`] as () => Record<string, unknown>)(),
      )) {
        const passed = check(event);
        // The same verdict both ways: a check stricter than zod would only cost speed, but it
        // would mean the check is not the schema it was compiled from.
        expect({ event, passed }).toEqual({ event, passed: zodAccepts(definition, event) });
        verdicts[passed ? 'passed' : 'refused']++;
      }
      // Both verdicts were exercised: most mutations break the event, a few leave it valid.
      expect(verdicts.refused).toBeGreaterThan(300);
      expect(verdicts.passed).toBeGreaterThan(5);
    },
  );

  it('when a schema holds what JSON Schema cannot say as zod does, then it gets no compiled check', () => {
    const base = { type: 'probe', version: 1, topic: 'probe' };
    const schemas: [string, z.ZodType][] = [
      ['a refinement', z.object({ a: z.string().refine((s) => s !== 'no') }).strict()],
      ['a transform', z.object({ a: z.string().transform((s) => s.trim()) }).strict()],
      ['a default', z.object({ a: z.string().default('x') }).strict()],
      ['a format checked by code', z.object({ a: z.url() }).strict()],
      ['a loose object', z.object({ a: z.string() })],
      ['a case-blind pattern', z.object({ a: z.string().regex(/^a$/i) }).strict()],
      ['a literal JSON cannot hold', z.object({ a: z.literal(1n) }).strict()],
    ];
    for (const [what, data] of schemas) {
      const compiled = compileCheck({ ...base, data } as EventDefinition<string, unknown>);
      expect({ what, compiled: 'check' in compiled }).toEqual({ what, compiled: false });
    }
  });

  it('when a schema carries metadata, then the check still says what zod says', () => {
    const probe = (a: z.ZodType) =>
      compileCheck({
        type: 'probe',
        version: 1,
        topic: 'probe',
        data: z.object({ a }).strict(),
      } as EventDefinition<string, unknown>);
    const event = (a: unknown) => ({
      id: '123e4567-e89b-12d3-a456-426614174000',
      type: 'probe',
      version: 1,
      occurredAt: '2026-11-21T10:00:00.000Z',
      data: { a },
    });
    const loosened = probe(z.string().max(3).meta({ maxLength: 100, pattern: '.*' }));
    expect('check' in loosened && loosened.check(event('abcdef'))).toBe(false);
    // A keyword ajv does not know would make its strict mode throw.
    const tagged = probe(z.string().meta({ 'x-pii': true }));
    expect('check' in tagged && tagged.check(event('abc'))).toBe(true);
  });

  it('when a record passes the compiled check, then decoding gives the event zod gives', () => {
    for (const make of Object.values(valid)) {
      const event = make() as { type: string };
      expect(decodeEvent(JSON.stringify(event))).toEqual(event);
    }
  });
});
