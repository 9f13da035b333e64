import { randomUUID } from 'node:crypto';
import { KafkaEcsError } from '@kafka-ecs/errors';
import { type CompiledCheck, compileCheck } from './compiled-check.ts';
import { type EventDefinition, type EventOf, envelopeSchema } from './envelope.ts';
import { IssuedTokenV1, type IssuedTokenV1Data } from './issued-token.v1.ts';
import { NewUserCreatedV1, type NewUserCreatedV1Data } from './new-user-created.v1.ts';

export type NewUserCreatedEvent = EventOf<'new-user-created', NewUserCreatedV1Data>;
export type IssuedTokenEvent = EventOf<'issued-token', IssuedTokenV1Data>;
/** Every event the system knows, discriminated by `type`. */
export type DomainEvent = NewUserCreatedEvent | IssuedTokenEvent;
export type EventType = DomainEvent['type'];

/** The schemas by `type@version`; adding a version means adding a file and a line here. */
const DEFINITIONS = new Map<string, EventDefinition<string, unknown>>(
  [NewUserCreatedV1, IssuedTokenV1].map((definition) => [
    `${definition.type}@${definition.version}`,
    definition as EventDefinition<string, unknown>,
  ]),
);

/** Every event definition, for the test that holds each compiled check to zod. */
export const eventDefinitions = (): EventDefinition<string, unknown>[] => [...DEFINITIONS.values()];

/**
 * Why a record could not be decoded. Never worth retrying: the same bytes fail the same way,
 * so the consumer sends such a record to the dead-letter queue at once (`non-retryable`).
 */
export class EventDecodeError extends KafkaEcsError {
  readonly reason: DecodeFailure;
  constructor(message: string, reason: DecodeFailure) {
    super(message);
    this.reason = reason;
  }
}

export type DecodeFailure = 'malformed-json' | 'invalid-envelope' | 'unknown-type' | 'invalid-data';

/** Builds a new event of a known type, validating its data. */
export function createEvent<Type extends EventType>(
  type: Type,
  data: Extract<DomainEvent, { type: Type }>['data'],
  options: { id?: string; occurredAt?: Date } = {},
): Extract<DomainEvent, { type: Type }> {
  const definition = latestDefinition(type);
  const event = {
    id: options.id ?? randomUUID(),
    type,
    version: definition.version,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    data: definition.data.parse(data),
  };
  return event as Extract<DomainEvent, { type: Type }>;
}

/** The topic an event type is published to. */
export function topicOf(type: EventType): string {
  return latestDefinition(type).topic;
}

export function encodeEvent(event: DomainEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

// Stateless between calls (no streaming), so one serves every record: one fewer object per event.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates a record's value: UTF-8 JSON, the envelope, a known type and version,
 * and that version's data schema. Throws EventDecodeError saying which step failed.
 */
export function decodeEvent(value: Buffer | string | null | undefined): DomainEvent {
  if (value === null || value === undefined) {
    throw new EventDecodeError('record has no value', 'malformed-json');
  }
  let json: unknown;
  try {
    const text = typeof value === 'string' ? value : UTF8.decode(value);
    json = JSON.parse(text);
  } catch (error) {
    throw new EventDecodeError(
      `value is not UTF-8 JSON: ${(error as Error).message}`,
      'malformed-json',
    );
  }
  // Most records are valid events: the compiled check passes them as parsed, with no copy.
  if (passesCompiledCheck(json)) return json as DomainEvent;
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new EventDecodeError(
      `invalid envelope: ${summarize(envelope.error.issues)}`,
      'invalid-envelope',
    );
  }
  const { type, version } = envelope.data;
  const definition = DEFINITIONS.get(`${type}@${version}`);
  if (!definition) {
    throw new EventDecodeError(`unknown event type ${type} version ${version}`, 'unknown-type');
  }
  const data = definition.data.safeParse(envelope.data.data);
  if (!data.success) {
    throw new EventDecodeError(
      `invalid ${type} v${version} data: ${summarize(data.error.issues)}`,
      'invalid-data',
    );
  }
  return { ...envelope.data, data: data.data } as DomainEvent;
}

// Compiled on first use, so a service that never decodes an event type never compiles it. By
// type, then version: a `type@version` key made per record was a string to build and hash per event.
const COMPILED = new Map<string, Map<number, CompiledCheck | null>>();

/** Whether the compiled check of the event's type and version passes it (only if zod would). */
function passesCompiledCheck(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const { type, version } = json as { type?: unknown; version?: unknown };
  if (typeof type !== 'string' || typeof version !== 'number') return false;
  let check = COMPILED.get(type)?.get(version);
  if (check === undefined) {
    // Only known definitions are remembered: a record's type must not grow this map.
    const definition = DEFINITIONS.get(`${type}@${version}`);
    if (!definition) return false;
    const compiled = compileCheck(definition);
    check = 'check' in compiled ? compiled.check : null;
    const versions = COMPILED.get(type) ?? new Map<number, CompiledCheck | null>();
    versions.set(version, check);
    COMPILED.set(type, versions);
  }
  return check?.(json) === true;
}

function latestDefinition(type: string): EventDefinition<string, unknown> {
  let latest: EventDefinition<string, unknown> | undefined;
  for (const definition of DEFINITIONS.values()) {
    if (definition.type === type && (!latest || definition.version > latest.version))
      latest = definition;
  }
  if (!latest) throw new Error(`unknown event type ${type}`);
  return latest;
}

function summarize(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
