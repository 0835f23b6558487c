/**
 * The framings on recorded bytes: Glue records written by the independent Python SerDe
 * (`aws-glue-schema-registry` 1.1.3 with fastavro; see the hex below), Confluent records in the
 * documented wire format, and the dispatcher's verdict on every first byte.
 */
import { deflateSync } from 'node:zlib';
import { SchemaDecodeError } from '../../../core/errors';
import {
  detectFraming,
  frameConfluent,
  frameGlue,
  parseConfluentFrame,
  parseGlueFrame,
} from '../../../schemas';
import { RECORDED_GLUE_PLAIN, RECORDED_GLUE_ZLIB, RECORDED_VERSION_ID } from '../../helpers/recorded-frames';



function reasonOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof SchemaDecodeError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('detectFraming', () => {
  it.each([
    ['single-object', Buffer.from([0xc3, 0x01, 0, 0])],
    ['glue', RECORDED_GLUE_PLAIN],
    ['confluent', Buffer.from([0x00, 0, 0, 0, 7, 2])],
  ])('tells %s by its first byte', (framing, message) => {
    expect(detectFraming(message)).toBe(framing);
  });

  it.each([
    ['JSON text', Buffer.from('{"eventId":1}')],
    ['an empty value', Buffer.alloc(0)],
    ['a plain Avro body', Buffer.from([0x48, 0x35])],
  ])('refuses %s as unknown-framing', (_label, message) => {
    expect(reasonOf(() => detectFraming(message))).toBe('unknown-framing');
  });
});

describe('Glue framing', () => {
  it('reads the Python SerDe header: version id, no compression, body after 18 bytes', () => {
    const frame = parseGlueFrame(RECORDED_GLUE_PLAIN);
    expect(frame).toMatchObject({ schemaVersionId: RECORDED_VERSION_ID, compression: 'none', offset: 18 });
    expect(frame.bytes).toBe(RECORDED_GLUE_PLAIN);
  });

  it('inflates a zlib body to exactly the uncompressed one', () => {
    const frame = parseGlueFrame(RECORDED_GLUE_ZLIB);
    expect(frame.schemaVersionId).toBe(RECORDED_VERSION_ID);
    expect(frame.compression).toBe('zlib');
    expect(frame.bytes.subarray(frame.offset).equals(RECORDED_GLUE_PLAIN.subarray(18))).toBe(true);
  });

  it('writes byte for byte what the Python SerDe writes, with and without zlib', () => {
    const body = RECORDED_GLUE_PLAIN.subarray(18);
    expect(frameGlue(RECORDED_VERSION_ID, body).equals(RECORDED_GLUE_PLAIN)).toBe(true);
    expect(parseGlueFrame(frameGlue(RECORDED_VERSION_ID, body, 'zlib')).bytes.equals(body)).toBe(true);
  });

  it.each([
    ['truncated', RECORDED_GLUE_PLAIN.subarray(0, 17)],
    ['unsupported-compression', Buffer.concat([Buffer.from([0x03, 0x04]), RECORDED_GLUE_PLAIN.subarray(2)])],
    ['invalid-compressed-body', Buffer.concat([RECORDED_GLUE_ZLIB.subarray(0, 18), Buffer.from('not zlib')])],
    ['bad-magic', Buffer.from([0xc3, 0x01])],
  ])('reports %s', (reason, message) => {
    expect(reasonOf(() => parseGlueFrame(message))).toBe(reason);
  });

  it('refuses a body that inflates past the bound, without inflating it all', () => {
    const bomb = Buffer.concat([RECORDED_GLUE_ZLIB.subarray(0, 18), deflateSync(Buffer.alloc(4 * 1024 * 1024))]);
    expect(bomb.length).toBeLessThan(10_000);
    expect(reasonOf(() => parseGlueFrame(bomb, { maxBodyBytes: 1024 * 1024 }))).toBe('body-too-large');
  });
});

describe('Confluent framing', () => {
  it('reads the magic byte and the big-endian schema id', () => {
    const message = Buffer.from([0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x04]);
    expect(parseConfluentFrame(message)).toEqual({ schemaId: 0x10007, offset: 5 });
    expect(frameConfluent(0x10007, Buffer.from([0x02, 0x04])).equals(message)).toBe(true);
  });

  it.each([
    ['truncated', Buffer.from([0x00, 0x00, 0x01])],
    ['bad-magic', Buffer.from([0x01, 0, 0, 0, 1])],
  ])('reports %s', (reason, message) => {
    expect(reasonOf(() => parseConfluentFrame(message))).toBe(reason);
  });
});
