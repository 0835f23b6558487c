/**
 * Fault 1 of issue 12: Avro lengths and counts the bytes cannot hold. Every member of the family
 * (map and array block counts, string and bytes lengths, negative lengths, block byte sizes,
 * union indexes) is refused by the pre-pass before avsc loops, for every registered version.
 */
import { randomUUID } from 'node:crypto';
import { Type } from 'avsc';
import { SchemaDecodeError } from '../../../core/errors';
import { ImageEventCodec, createImageEventRegistry, fingerprintOf } from '../../../schemas';
import { assertBodyBounds } from '../../../schemas/body-bounds';
import { frameSingleObject } from '../../../schemas/framing/single-object';
import { avroLong as long, avroString as str } from '../../helpers/avro-bytes';
import { V1_AVSC, V2_AVSC, referenceEvent } from '../../helpers/image-events';

/** The v1 body up to (not including) `attributes`: eventId, occurredAt, customerId, null fileName, null contentType. */
function v1Prefix(customerId: Buffer = str('customer-bounds')): Buffer {
  return Buffer.concat([str(randomUUID()), long(Date.UTC(2024, 0, 1)), customerId, long(0), long(0)]);
}

const registry = createImageEventRegistry({ writers: [V2_AVSC] });
const codec = new ImageEventCodec({ registry });

function message(schema: typeof V1_AVSC, body: Buffer): Buffer {
  return frameSingleObject(fingerprintOf(schema), body);
}

function decodeError(value: Buffer): SchemaDecodeError {
  try {
    codec.decode(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaDecodeError);
    return error as SchemaDecodeError;
  }
  throw new Error('expected the message to be refused');
}

describe('Avro counts and lengths the bytes cannot hold', () => {
  const inline = Buffer.concat([long(0), str('ab')]);
  const members: [string, Buffer, string][] = [
    ['a map block of 300,000,000 entries in a few bytes (the reported 59-byte record)', Buffer.concat([v1Prefix(), long(300_000_000), str('k'), str('v')]), 'truncated'],
    ['a map block count near 2^50', Buffer.concat([v1Prefix(), long(2 ** 50), str('k'), str('v')]), 'truncated'],
    ['a negative map block count whose block size exceeds the body', Buffer.concat([v1Prefix(), long(-3), long(1_000_000), str('k'), str('v')]), 'truncated'],
    ['a negative map block count of 2^40 with a small block size', Buffer.concat([v1Prefix(), long(-(2 ** 40)), long(4), str('k'), str('v')]), 'truncated'],
    ['a negative block size', Buffer.concat([v1Prefix(), long(-1), long(-4), str('k'), str('v')]), 'invalid-body'],
    ['a customerId string length of 2^52', Buffer.concat([str(randomUUID()), long(1), long(2 ** 52), Buffer.from('x')]), 'truncated'],
    ['a customerId of negative length', Buffer.concat([str(randomUUID()), long(1), long(-5), Buffer.from('xxxxx')]), 'invalid-body'],
    ['a map key longer than the bytes left', Buffer.concat([v1Prefix(), long(1), long(10_000), Buffer.from('k')]), 'truncated'],
    ['inline image bytes declaring 1 GiB', Buffer.concat([v1Prefix(), long(0), long(0), long(2 ** 30), Buffer.from('xx')]), 'truncated'],
    ['a union branch index past the last branch', Buffer.concat([v1Prefix(), long(0), long(7), inline]), 'invalid-body'],
    ['a negative union branch index', Buffer.concat([str(randomUUID()), long(1), str('c'), long(-1)]), 'invalid-body'],
    ['a varint longer than a long can be', Buffer.concat([str(randomUUID()), Buffer.alloc(11, 0xff)]), 'invalid-body'],
  ];

  it.each(members)('v1: %s', (_name, body, reason) => {
    const error = decodeError(message(V1_AVSC, body));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(/^At byte \d+ of the message, /);
  });

  it('v2 writers are checked too: a huge attributes count behind the extra priority field', () => {
    // v2 adds `priority` (int) after the v1 fields; attributes come before the image union.
    const body = Buffer.concat([v1Prefix(), long(2 ** 45), str('k'), str('v')]);
    const error = decodeError(message(V2_AVSC, body));
    expect(error.reason).toBe('truncated');
    expect(error.context.parameter).toBe('attributes');
  });

  it('names the field whose count cannot fit', () => {
    const error = decodeError(message(V1_AVSC, Buffer.concat([v1Prefix(), long(300_000_000), str('k'), str('v')])));
    expect(error.context.parameter).toBe('attributes');
    expect(error.message).toContain('declares 300000000 entries');
  });

  it('lets every well-formed event of every registered version through, unchanged', () => {
    for (const writer of registry.versions()) {
      const event = referenceEvent({ attributes: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(i)])) });
      const decoded = codec.decode(codec.encode(event, { writer }));
      expect(decoded.attributes).toEqual(event.attributes);
      expect(decoded.eventId).toBe(event.eventId);
    }
  });

  it('accepts a negative block count with a correct block size (the form Java writers may use)', () => {
    const type = Type.forSchema({ type: 'map', values: 'string' });
    const entries = Buffer.concat([str('a'), str('b'), str('c'), str('d')]);
    const body = Buffer.concat([long(-2), long(entries.length), entries, long(0)]);
    expect(assertBodyBounds(type, body, 0)).toBe(body.length);
    expect(type.fromBuffer(body)).toEqual({ a: 'b', c: 'd' });
  });

  it('bounds arrays of zero-size items by the body length, and refuses deep nesting', () => {
    const nulls = Type.forSchema({ type: 'array', items: 'null' });
    expect(assertBodyBounds(nulls, Buffer.concat([long(3), long(0)]), 0)).toBe(2);
    expect(nulls.fromBuffer(Buffer.concat([long(3), long(0)]))).toEqual([null, null, null]);
    expect(() => assertBodyBounds(nulls, Buffer.concat([long(2 ** 40), long(0)]), 0)).toThrow(SchemaDecodeError);
    const list = Type.forSchema({ type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] });
    expect(() => assertBodyBounds(list, Buffer.concat([Buffer.alloc(200, 2), long(0)]), 0)).toThrow(/nests deeper than 64/);
  });
});
