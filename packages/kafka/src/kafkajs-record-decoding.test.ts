import { createRequire } from 'node:module';

// patches/kafkajs@2.2.4.patch rewrites how a record's offset, timestamp and headers are decoded
// (Number arithmetic while exact, headers when first read, no object spread per header). These
// batches are written by kafkajs' own encoder, and each value is expected as BigInt arithmetic
// on what was written.
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const Decoder = require('kafkajs/src/protocol/decoder');
const Long = require('kafkajs/src/utils/long');
const { Types: Compression } = require('kafkajs/src/protocol/message/compression');

interface DecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

const LOG_APPEND_TIME_FLAG = 0x8;
/** The byte of the batch's attributes that holds the timestamp type (after offset, length, epoch, magic, CRC and the first byte). */
const ATTRIBUTES_LOW_BYTE = 22;

async function roundTrip(batch: {
  firstOffset: bigint;
  firstTimestamp: bigint;
  maxTimestamp?: bigint;
  records: { offsetDelta: number; timestampDelta: bigint; headers?: Record<string, Buffer> }[];
  logAppendTime?: boolean;
  gzip?: boolean;
}): Promise<DecodedRecord[]> {
  const encoded = await RecordBatch({
    compression: batch.gzip ? Compression.GZIP : Compression.None,
    firstOffset: Long.fromValue(batch.firstOffset),
    firstTimestamp: Long.fromValue(batch.firstTimestamp),
    maxTimestamp: Long.fromValue(batch.maxTimestamp ?? batch.firstTimestamp),
    lastOffsetDelta: batch.records.at(-1)?.offsetDelta ?? 0,
    records: batch.records.map(({ offsetDelta, timestampDelta, headers }, i) =>
      Record({
        offsetDelta,
        timestampDelta: Long.fromValue(timestampDelta),
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`v${i}`),
        headers: headers ?? {},
      }),
    ),
  });
  const bytes = Buffer.from(encoded.buffer);
  if (batch.logAppendTime)
    bytes.writeUInt8(
      bytes.readUInt8(ATTRIBUTES_LOW_BYTE) | LOG_APPEND_TIME_FLAG,
      ATTRIBUTES_LOW_BYTE,
    );
  return (await decodeBatch(new Decoder(bytes))).records;
}

const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder');

/** A record's body (kafkajs' Encoder), its headers written one by one, so a name may repeat. */
function recordBody(pairs: [string, string][]) {
  const Encoder = require('kafkajs/src/protocol/encoder');
  const Header = require('kafkajs/src/protocol/recordBatch/header/v0');
  return new Encoder()
    .writeInt8(0)
    .writeVarLong(Long.fromValue(0))
    .writeVarInt(0)
    .writeVarIntBytes(Buffer.from('k'))
    .writeVarIntBytes(Buffer.from('v'))
    .writeVarIntArray(pairs.map(([key, value]) => Header({ key, value: Buffer.from(value) })));
}

const decodeRecordWithHeaders = (pairs: [string, string][]): DecodedRecord =>
  decodeRecord(new Decoder(recordBody(pairs).buffer), { firstOffset: '0', firstTimestamp: '0' });

// Deltas around every width a zigzag varlong takes, the 49 bits a Number holds exactly from 7
// bytes, and the 2^53 past which only BigInt is exact.
const TIMESTAMP_DELTAS = [
  0n,
  1n,
  -5n,
  63n,
  64n,
  -65n,
  2n ** 31n - 1n,
  -(2n ** 31n),
  2n ** 47n,
  -(2n ** 48n),
  2n ** 48n,
  2n ** 50n,
  2n ** 53n + 1n,
  -(2n ** 54n) - 1n,
  2n ** 62n - 1n,
  -(2n ** 62n),
];

describe("kafkajs' record decoding, as patched", () => {
  it.each([
    ['small offsets and a current timestamp', 0n, 1_796_414_404_532n],
    ['offsets that cross 2^53 within the batch', 2n ** 53n - 3n, 2n ** 53n - 2n],
    ['offsets near the top of int64', 2n ** 63n - 2n ** 40n, -1n],
    ['bases just past 2^53, which a Number rounds', 2n ** 53n + 1n, 2n ** 53n + 1n],
  ])(
    'when the batch has %s, then every offset and timestamp is exact',
    async (_, firstOffset, firstTimestamp) => {
      const records = TIMESTAMP_DELTAS.map((timestampDelta, i) => ({
        offsetDelta: i * 1_000_003,
        timestampDelta,
      }));
      const decoded = await roundTrip({ firstOffset, firstTimestamp, records });
      expect(decoded.map(({ offset, timestamp }) => [offset, timestamp])).toEqual(
        records.map(({ offsetDelta, timestampDelta }) => [
          String(firstOffset + BigInt(offsetDelta)),
          String(firstTimestamp + timestampDelta),
        ]),
      );
      expect(decoded.map(({ key, value }) => [String(key), String(value)])).toEqual(
        records.map((_, i) => [`k${i}`, `v${i}`]),
      );
    },
  );

  it("when the batch carries the broker's append time, then every record has it", async () => {
    const decoded = await roundTrip({
      firstOffset: 10n,
      firstTimestamp: 1_000n,
      maxTimestamp: 2_000n,
      records: [
        { offsetDelta: 0, timestampDelta: 5n },
        { offsetDelta: 1, timestampDelta: 7n },
      ],
      logAppendTime: true,
    });
    expect(decoded.map(({ timestamp }) => timestamp)).toEqual(['2000', '2000']);
  });

  it('when a record has headers, then each name maps to its value', async () => {
    const [record] = await roundTrip({
      firstOffset: 0n,
      firstTimestamp: 0n,
      records: [
        {
          offsetDelta: 0,
          timestampDelta: 0n,
          headers: { 'event-type': Buffer.from('new-user-created'), 'event-id': Buffer.from('e1') },
        },
      ],
    });
    expect(record?.headers).toEqual({
      'event-type': Buffer.from('new-user-created'),
      'event-id': Buffer.from('e1'),
    });
  });

  it.each([
    ['uncompressed', false],
    ['compressed with gzip', true],
  ])(
    'when the headers of a batch %s are read only after it is decoded, then each record has its own',
    async (_, gzip) => {
      const written = Array.from(
        { length: 5 },
        (_, i): Record<string, Buffer> =>
          i === 2 ? {} : { 'event-id': Buffer.from(`e${i}`), n: Buffer.from('x'.repeat(i * 100)) },
      );
      const records = await roundTrip({
        firstOffset: 0n,
        firstTimestamp: 0n,
        gzip,
        records: written.map((headers, i) => ({ offsetDelta: i, timestampDelta: 0n, headers })),
      });
      // Read last first: a record's headers must not depend on what was read before them.
      const read = records.map((_, i) => records[records.length - 1 - i]?.headers).reverse();
      expect(read).toEqual(written);
      expect(records.map(({ key }) => String(key))).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    },
  );

  it('when a record is decoded, then its decoder stands after the headers, which are not read yet', () => {
    const decoder = new Decoder(recordBody([['a', '1']]).writeInt32(0x7e57).buffer);
    const record = decodeRecord(decoder, { firstOffset: '0', firstTimestamp: '0' });
    expect(decoder.readInt32()).toBe(0x7e57);
    expect(Object.keys(record)).not.toContain('headers');
    expect(record.headers).toEqual({ a: Buffer.from('1') });
  });

  it('when a header name repeats, then its values are collected in order, as kafkajs always did', () => {
    const { headers } = decodeRecordWithHeaders([
      ['x', '1'],
      ['y', '2'],
      ['x', '3'],
      ['x', '4'],
    ]);
    expect(headers).toEqual({
      x: [Buffer.from('1'), Buffer.from('3'), Buffer.from('4')],
      y: Buffer.from('2'),
    });
  });

  it('when a header name is not ASCII, then it is decoded as UTF-8', () => {
    const { headers } = decodeRecordWithHeaders([
      ['naïve-ключ-😀', 'v'],
      ['', 'empty'],
    ]);
    expect(headers).toEqual({ 'naïve-ключ-😀': Buffer.from('v'), '': Buffer.from('empty') });
  });

  it('when a header is named like an inherited property, then it reads as kafkajs always made it', () => {
    // kafkajs' quirk, kept: the array starts with the value the name inherits.
    const { headers } = decodeRecordWithHeaders([
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toEqual([
      Object.prototype,
      Buffer.from('p'),
    ]);
    expect(headers.constructor).toEqual([Object, Buffer.from('c')]);
  });
});
