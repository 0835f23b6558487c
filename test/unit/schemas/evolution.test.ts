import { randomBytes } from 'node:crypto';
import { Type } from 'avsc';
import { InvalidParameterError, SchemaDecodeError } from '../../../core/errors';
import { ImageEventCodec, createImageEventRegistry, fingerprintOf } from '../../../schemas';
import type { AvroSchema } from '../../../schemas';
import { frameSingleObject } from '../../../schemas/framing/single-object';
import { V1_AVSC, V2_AVSC, imageSources, referenceEvent } from '../../helpers/image-events';

const V1_HEX = fingerprintOf(V1_AVSC).toString('hex');
const V2_HEX = fingerprintOf(V2_AVSC).toString('hex');

/** A v2 producer in another language: writes `priority` explicitly, knows nothing of our codec. */
function v2ProducerMessage(priority: number): { message: Buffer; eventId: string } {
  const plainV2 = Type.forSchema(V2_AVSC as Parameters<typeof Type.forSchema>[0]);
  const event = referenceEvent({ image: imageSources().inline });
  const body = plainV2.toBuffer({
    eventId: event.eventId,
    occurredAt: event.occurredAt.getTime(),
    customerId: event.customerId,
    fileName: null,
    contentType: 'image/png',
    attributes: { origin: 'v2' },
    image: { 'imagepipeline.events.InlineImage': { data: randomBytes(64) } },
    priority,
  });
  return { message: frameSingleObject(fingerprintOf(V2_AVSC), body), eventId: event.eventId };
}

function schemaWithoutField(schema: AvroSchema, field: string): AvroSchema {
  const record = schema as { fields: Array<{ name: string }> };
  return { ...record, fields: record.fields.filter((candidate) => candidate.name !== field) };
}

describe('schema evolution between v1 and v2', () => {
  describe('v2 writer, v1 reader', () => {
    const v1Reader = new ImageEventCodec({ registry: createImageEventRegistry({ writers: [V2_AVSC] }) });

    it('decodes an event the codec wrote with the registered v2 schema', () => {
      const v2 = v1Reader.registry.get(V2_HEX);
      expect(v2).toBeDefined();
      const event = referenceEvent({ image: imageSources().s3WithVersion });

      const message = v1Reader.encode(event, { writer: v2 });

      expect(message.subarray(2, 10).toString('hex')).toBe(V2_HEX);
      expect(v1Reader.decode(message)).toStrictEqual(event);
    });

    it('skips the field it does not know when a v2 producer set it', () => {
      const { message, eventId } = v2ProducerMessage(1);

      const decoded = v1Reader.decode(message);

      expect(decoded.eventId).toBe(eventId);
      expect(decoded.contentType).toBe('image/png');
      expect(decoded.attributes).toEqual({ origin: 'v2' });
      expect(decoded.image.kind).toBe('inline');
      expect(decoded).not.toHaveProperty('priority');
    });

    it('accepts the writer by fingerprint hex as well', () => {
      const event = referenceEvent();

      const message = v1Reader.encode(event, { writer: V2_HEX });

      expect(v1Reader.registry.writerOf(message).fingerprintHex).toBe(V2_HEX);
      expect(v1Reader.decode(message)).toStrictEqual(event);
    });

    it('reports truncated at every cut point of a v2 body, read through the resolver', () => {
      const { message } = v2ProducerMessage(7);

      const reasons = new Set<string>();
      for (let length = 10; length < message.length; length += 1) {
        try {
          v1Reader.decode(message.subarray(0, length));
          reasons.add('decoded');
        } catch (error) {
          reasons.add(error instanceof SchemaDecodeError ? error.reason : String(error));
        }
      }

      expect([...reasons]).toEqual(['truncated']);
    });

    it('is an unknown fingerprint for a reader that never registered v2', () => {
      const v1Only = new ImageEventCodec();
      const { message } = v2ProducerMessage(3);

      let caught: unknown;
      try {
        v1Only.decode(message);
      } catch (error) {
        caught = error;
      }

      expect(caught).toBeInstanceOf(SchemaDecodeError);
      expect((caught as SchemaDecodeError).reason).toBe('unknown-fingerprint');
      expect((caught as SchemaDecodeError).message).toContain(V2_HEX);
    });
  });

  describe('v1 writer, v2 reader', () => {
    const v2Registry = createImageEventRegistry({ reader: V2_AVSC, writers: [V1_AVSC] });
    const v2Reader = new ImageEventCodec({ registry: v2Registry });
    const v1Writer = new ImageEventCodec();

    it('fills the new field with its default', () => {
      const event = referenceEvent({ image: imageSources().url });
      const message = v1Writer.encode(event);
      expect(message.subarray(2, 10).toString('hex')).toBe(V1_HEX);

      const record = v2Registry.decode(message) as { priority: number; eventId: string };

      expect(record.priority).toBe(5);
      expect(record.eventId).toBe(event.eventId);
    });

    it('decodes the event itself unchanged', () => {
      const event = referenceEvent({ image: imageSources().inline });

      expect(v2Reader.decode(v1Writer.encode(event))).toStrictEqual(event);
    });

    it('reads the new field when a v2 writer set it', () => {
      const { message } = v2ProducerMessage(2);

      const record = v2Registry.decode(message) as { priority: number };

      expect(record.priority).toBe(2);
    });

    it('writes v2 by default, since v2 is this registry’s reader', () => {
      const message = v2Reader.encode(referenceEvent());

      expect(message.subarray(2, 10).toString('hex')).toBe(V2_HEX);
    });
  });

  describe('registration', () => {
    it('returns the same entry when a version is registered twice', () => {
      const registry = createImageEventRegistry();

      const first = registry.register(V2_AVSC);
      const second = registry.register(JSON.parse(JSON.stringify(V2_AVSC)) as AvroSchema);

      expect(second).toBe(first);
      expect(registry.versions().map((version) => version.fingerprintHex)).toEqual([V1_HEX, V2_HEX]);
    });

    it('refuses a writer whose records the reader cannot resolve', () => {
      // Without customerId, which has no default in v1, no v1 reader can fill it in.
      const registry = createImageEventRegistry();

      expect(() => registry.register(schemaWithoutField(V1_AVSC, 'customerId'))).toThrow(InvalidParameterError);
    });

    it('refuses a codec whose reader is not a version of the image event', () => {
      const registry = createImageEventRegistry({ reader: { type: 'record', name: 'imagepipeline.events.Other', fields: [] } });

      expect(() => new ImageEventCodec({ registry })).toThrow(InvalidParameterError);
    });
  });
});
