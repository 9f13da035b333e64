import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { eventJsonSchemas, Topics } from '../src/index.ts';

const DOCUMENT = `${import.meta.dirname}/../../../docs/asyncapi.yaml`;

/**
 * Reduces a JSON Schema to what the document and the code must agree on: the parser's and zod's
 * annotations go, and so do zod's spelled-out regexes for `format`s and its integer bound.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const schema = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, entry]) => {
        if (key.startsWith('x-parser') || key === '$schema' || key === 'description') return false;
        if (key === 'pattern' && 'format' in schema) return false;
        return !(key === 'maximum' && entry === Number.MAX_SAFE_INTEGER);
      })
      .map(([key, entry]) => [key, normalize(entry)]),
  );
}

describe('docs/asyncapi.yaml', () => {
  it('when parsed by the AsyncAPI parser, then it is a valid AsyncAPI 3 document with the four topics', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(DOCUMENT, 'utf8'));
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0);
    expect(errors.map((error) => `${error.path.join('.')}: ${error.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const addresses = document
      ?.channels()
      .all()
      .map((channel) => channel.address());
    expect(addresses?.sort()).toEqual(Object.values(Topics).sort());
  });

  it('then its envelope and payload schemas say what the code validates', async () => {
    const { document } = await new Parser().parse(readFileSync(DOCUMENT, 'utf8'));
    if (!document) throw new Error('docs/asyncapi.yaml did not parse');
    const { schemas } = (document.json() as { components: { schemas: Record<string, unknown> } })
      .components;
    const code = eventJsonSchemas();
    expect(normalize(schemas.Envelope)).toEqual(normalize(code.envelope));
    expect(normalize(schemas.NewUserCreatedV1Data)).toEqual(normalize(code['new-user-created@1']));
    expect(normalize(schemas.IssuedTokenV1Data)).toEqual(normalize(code['issued-token@1']));
  });
});
