import { randomBytes, randomUUID } from 'node:crypto';
import { Type } from 'avsc';
import { ERROR_CODES, InvalidParameterError, SchemaDecodeError } from '../../../core/errors';
import { ImageEventCodec, decodeImageEvent, encodeImageEvent, fingerprintOf } from '../../../schemas';
import type { ImageEvent } from '../../../schemas';
import { frameSingleObject } from '../../../schemas/framing/single-object';
import { V1_AVSC, imageSources, referenceEvent } from '../../helpers/image-events';

/**
 * A generic Avro writer for the v1 schema, independent of the codec: no logical types (so
 * `occurredAt` is a plain long) and no semantic checks, like a producer in another language.
 */
const plainV1Type = Type.forSchema(V1_AVSC as Parameters<typeof Type.forSchema>[0]);
const V1_FINGERPRINT = fingerprintOf(V1_AVSC);

interface PlainV1Record {
  eventId: string;
  occurredAt: number;
  customerId: string;
  fileName: string | null;
  contentType: string | null;
  attributes: Record<string, string>;
  image: Record<string, unknown>;
}

function plainRecord(overrides: Partial<PlainV1Record> = {}): PlainV1Record {
  return {
    eventId: randomUUID(),
    occurredAt: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    customerId: `customer-${randomUUID()}`,
    fileName: null,
    contentType: null,
    attributes: {},
    image: { 'imagepipeline.events.UrlImageRef': { url: 'https://images.example.org/a.png' } },
    ...overrides,
  };
}

function plainMessage(record: PlainV1Record): Buffer {
  return frameSingleObject(V1_FINGERPRINT, plainV1Type.toBuffer(record));
}

function decodeError(codec: ImageEventCodec, message: Buffer): SchemaDecodeError {
  try {
    codec.decode(message);
  } catch (error) {
    if (error instanceof SchemaDecodeError) return error;
    throw error;
  }
  throw new Error('expected decode to fail');
}

describe('ImageEventCodec', () => {
  const codec = new ImageEventCodec();

  describe('round trip', () => {
    it.each(Object.entries(imageSources()))('keeps every field of an event with a %s image', (_kind, image) => {
      const event = referenceEvent({ image });

      const decoded = codec.decode(codec.encode(event));

      expect(decoded).toStrictEqual(event);
      expect(decoded.occurredAt).toBeInstanceOf(Date);
    });

    it('leaves absent optional fields absent and keeps an empty attribute map', () => {
      const event: ImageEvent = {
        eventId: randomUUID(),
        occurredAt: new Date(-86_400_000), // before the epoch: longs are signed
        customerId: 'c',
        attributes: {},
        image: { kind: 'url', url: 'https://images.example.org/x.gif' },
      };

      const decoded = codec.decode(codec.encode(event));

      expect(decoded).toStrictEqual(event);
      expect(Object.keys(decoded)).not.toContain('fileName');
      expect(Object.keys(decoded)).not.toContain('contentType');
    });

    it('keeps non-ASCII text intact', () => {
      const event = referenceEvent({ fileName: 'Ålesund – 夜景 📷.jpg', attributes: { 'clé': 'valeur ✓' } });

      expect(codec.decode(codec.encode(event))).toStrictEqual(event);
    });

    it('works through the default codec functions too', () => {
      const event = referenceEvent({ image: imageSources().inline });

      expect(decodeImageEvent(encodeImageEvent(event))).toStrictEqual(event);
    });

    it('decodes a message that is a slice of a larger buffer, as Kafka clients hand them out', () => {
      const event = referenceEvent();
      const message = codec.encode(event);
      const batch = Buffer.concat([randomBytes(13), message, randomBytes(7)]);

      expect(codec.decode(batch.subarray(13, 13 + message.length))).toStrictEqual(event);
    });

    it('normalises an upper-case UUID to the canonical lower-case form', () => {
      const eventId = randomUUID();
      const message = plainMessage(plainRecord({ eventId: eventId.toUpperCase() }));

      expect(codec.decode(message).eventId).toBe(eventId);
    });
  });

  describe('wire format', () => {
    it('is C3 01, the v1 CRC-64-AVRO fingerprint little-endian, then a plain Avro body', () => {
      const event = referenceEvent({ image: imageSources().s3WithVersion });

      const message = codec.encode(event);
      const body = plainV1Type.fromBuffer(message.subarray(10)) as PlainV1Record;

      expect(message.subarray(0, 2).toString('hex')).toBe('c301');
      expect(message.subarray(2, 10).equals(V1_FINGERPRINT)).toBe(true);
      expect(body.occurredAt).toBe(event.occurredAt.getTime());
      expect(body.eventId).toBe(event.eventId);
      expect(body.image).toEqual({
        'imagepipeline.events.S3ImageRef': { bucket: 'uploads-test', key: (event.image as { key: string }).key, versionId: 'v-3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' },
      });
    });

    it('decodes what a generic Avro writer produced from the .avsc file', () => {
      const record = plainRecord({ fileName: 'x.png', attributes: { k: 'v' } });

      const decoded = codec.decode(plainMessage(record));

      expect(decoded).toStrictEqual({
        eventId: record.eventId,
        occurredAt: new Date(record.occurredAt),
        customerId: record.customerId,
        fileName: 'x.png',
        attributes: { k: 'v' },
        image: { kind: 'url', url: 'https://images.example.org/a.png' },
      });
    });
  });

  describe('decode errors', () => {
    it('reports bad-magic for a message that is not single-object encoded', () => {
      const json = Buffer.from(JSON.stringify(referenceEvent()));

      const error = decodeError(codec, json);

      expect(error.reason).toBe('bad-magic');
      expect(error.code).toBe(ERROR_CODES.schemaDecode);
    });

    it('reports truncated at every cut point, in the header and in the body, for each image kind', () => {
      for (const image of Object.values(imageSources())) {
        const message = codec.encode(referenceEvent({ image }));

        const reasons = new Set<string>();
        for (let length = 0; length < message.length; length += 1) {
          reasons.add(decodeError(codec, message.subarray(0, length)).reason);
        }

        expect([...reasons]).toEqual(['truncated']);
      }
    });

    it('reports unknown-fingerprint with the fingerprint in hex', () => {
      const message = codec.encode(referenceEvent());
      const foreign = Buffer.from('00112233445566ff', 'hex');
      foreign.copy(message, 2);

      const error = decodeError(codec, message);

      expect(error.reason).toBe('unknown-fingerprint');
      expect(error.code).toBe(ERROR_CODES.unknownSchema);
      expect(error.message).toContain('00112233445566ff');
    });

    it('reports invalid-body for trailing bytes after a complete value', () => {
      const message = Buffer.concat([codec.encode(referenceEvent()), Buffer.from([0x00])]);

      const error = decodeError(codec, message);

      expect(error.reason).toBe('invalid-body');
      expect(error.message).toMatch(/trailing/);
    });

    it('reports invalid-body for a union branch the schema does not have', () => {
      const url = 'https://images.example.org/a.png';
      const body = plainV1Type.toBuffer(plainRecord({ image: { 'imagepipeline.events.UrlImageRef': { url } } }));
      // The image is the last field: union index, string length (one byte here), url bytes.
      const unionIndexAt = body.length - Buffer.byteLength(url) - 2;
      expect(body[unionIndexAt]).toBe(0x04); // branch 2, zig-zag encoded
      body[unionIndexAt] = 0x0e; // branch 7

      const error = decodeError(codec, frameSingleObject(V1_FINGERPRINT, body));

      expect(error.reason).toBe('invalid-body');
      // Refused by the bounds pre-pass before avsc reads it.
      expect(error.message).toMatch(/image names union branch 7 of 3/);
    });

    it('reports invalid-body for a timestamp beyond what a JavaScript number holds exactly', () => {
      const valid = plainV1Type.toBuffer(plainRecord({ occurredAt: 0 }));
      const eventIdLength = 1 + 36; // length varint + UUID text
      const hugeLong = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
      const body = Buffer.concat([valid.subarray(0, eventIdLength), hugeLong, valid.subarray(eventIdLength + 1)]);

      const error = decodeError(codec, frameSingleObject(V1_FINGERPRINT, body));

      expect(error.reason).toBe('invalid-body');
    });

    it.each([
      ['eventId', plainRecord({ eventId: 'not-a-uuid' })],
      ['eventId', plainRecord({ eventId: '' })],
      ['customerId', plainRecord({ customerId: '' })],
      ['customerId', plainRecord({ customerId: ' \t ' })],
      ['occurredAt', plainRecord({ occurredAt: 9_000_000_000_000_000 })],
      ['image.bucket', plainRecord({ image: { 'imagepipeline.events.S3ImageRef': { bucket: '', key: 'k', versionId: null } } })],
      ['image.key', plainRecord({ image: { 'imagepipeline.events.S3ImageRef': { bucket: 'b', key: '', versionId: null } } })],
      ['image.url', plainRecord({ image: { 'imagepipeline.events.UrlImageRef': { url: '' } } })],
    ])('reports invalid-body naming %s when a decoded field breaks its rule', (field, record) => {
      const error = decodeError(codec, plainMessage(record));

      expect(error.reason).toBe('invalid-body');
      expect(error.message).toContain(`event.${field} `);
      expect(error.context.parameter).toBe(`event.${field}`);
    });

    it('puts the event id in the error context once it is known to be valid', () => {
      const record = plainRecord({ customerId: '' });

      expect(decodeError(codec, plainMessage(record)).context.eventId).toBe(record.eventId);
    });

    it('refuses a value that is not a Buffer', () => {
      expect(() => codec.decode('c301' as unknown as Buffer)).toThrow(InvalidParameterError);
    });
  });

  describe('encode validation', () => {
    it.each([
      ['event.eventId', { eventId: 'abc' }],
      ['event.customerId', { customerId: '' }],
      ['event.occurredAt', { occurredAt: new Date('not a date') }],
      ['event.occurredAt', { occurredAt: 1_700_000_000_000 as unknown as Date }],
      ['event.fileName', { fileName: 42 as unknown as string }],
      ['event.attributes.size', { attributes: { size: 10 as unknown as string } }],
      ['event.image.kind', { image: { kind: 'ftp', url: 'x' } as unknown as ImageEvent['image'] }],
      ['event.image.data', { image: { kind: 'inline', data: 'aGVsbG8=' } as unknown as ImageEvent['image'] }],
      ['event.image.versionId', { image: { kind: 's3', bucket: 'b', key: 'k', versionId: null } as unknown as ImageEvent['image'] }],
    ])('names %s when it is invalid', (parameter, overrides) => {
      const event = referenceEvent(overrides as Partial<ImageEvent>);

      expect(() => codec.encode(event)).toThrow(InvalidParameterError);
      expect(() => codec.encode(event)).toThrow(`for ${parameter} but received`);
    });

    it('refuses a writer that is not registered', () => {
      expect(() => codec.encode(referenceEvent(), { writer: 'ffffffffffffffff' })).toThrow(InvalidParameterError);
    });
  });
});
