/**
 * Fuzzing the edges (issue 12, "Must show"): the event decoder and the REST body readers take
 * arbitrary and mutated inputs and either return a value or throw a typed project error
 * (a PipelineError, HTTP-level refusals included), never anything else and never
 * hang. Bounded in runs and in time: each property stops after its run count or its time
 * budget, and a single input that takes longer than the per-run timeout fails the property (a
 * hang guard far above what an input of a few KiB needs, not a speed assertion).
 */
import fc from 'fast-check';
import { PipelineError } from '../../../core/errors';
import { ImageEventCodec, createImageEventRegistry, type ImageEvent } from '../../../schemas';
import { decodeFileNameHeader, readImageUpload, readMultipartFile, readUploadRequest, readUrlImportRequest } from '../../../ingest-api/request-body';
import { V2_AVSC } from '../../helpers/image-events';

const RUNS = { numRuns: 400, interruptAfterTimeLimit: 20_000, timeout: 2_000 } as const;

function isTypedRefusal(error: unknown): boolean {
  return error instanceof PipelineError;
}

const codec = new ImageEventCodec({ registry: createImageEventRegistry({ writers: [V2_AVSC] }) });

const eventArbitrary: fc.Arbitrary<ImageEvent> = fc.record({
  eventId: fc.uuid(),
  occurredAt: fc.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true }),
  customerId: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  attributes: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 5 }),
  image: fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((data) => ({ kind: 'inline' as const, data: Buffer.from(data) })),
    fc.record({ kind: fc.constant('s3' as const), bucket: fc.stringMatching(/^[a-z]{3,10}$/), key: fc.stringMatching(/^[a-z/]{1,20}[a-z]$/) }),
    fc.webUrl().map((url) => ({ kind: 'url' as const, url })),
  ),
});

/** Valid messages with a few bytes overwritten, inserted or cut: the inputs most likely to reach deep into the decoder. */
const mutatedMessage = fc
  .tuple(eventArbitrary, fc.constantFrom(...codec.registry.versions()), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'cut')), { minLength: 1, maxLength: 4 }))
  .map(([event, writer, edits]) => {
    let bytes = Buffer.from(codec.encode(event, { writer }));
    for (const [at, value, kind] of edits) {
      const index = at % Math.max(1, bytes.length);
      if (kind === 'set') bytes[index] = value;
      else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, index), Buffer.from([value]), bytes.subarray(index)]);
      else bytes = bytes.subarray(0, index);
    }
    return bytes;
  });

/** The single-object header of a known writer, then random bytes: every body the pre-pass could meet. */
const randomBody = fc
  .tuple(fc.constantFrom(...codec.registry.versions()), fc.uint8Array({ maxLength: 512 }))
  .map(([writer, body]) => Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from(writer.fingerprintHex, 'hex'), Buffer.from(body)]));

describe('fuzzing the event decoder', () => {
  it.each([
    ['arbitrary bytes', fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b))],
    ['a known writer header and a random body', randomBody],
    ['valid messages with bytes overwritten, inserted or cut', mutatedMessage],
  ])('%s: an ImageEvent or a typed error, never anything else', (_name, input) => {
    fc.assert(
      fc.property(input, (message) => {
        try {
          const event = codec.decode(message);
          expect(typeof event.eventId).toBe('string');
          expect(['inline', 's3', 'url']).toContain(event.image.kind);
        } catch (error) {
          if (!isTypedRefusal(error)) throw error;
        }
      }),
      RUNS,
    );
  });
});

const boundary = 'fuzz-boundary';
/** Multipart bodies built from random parts around real framing, so the parser goes past the preamble. */
const multipartBody = fc
  .tuple(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 256 }), fc.boolean(), fc.uint8Array({ maxLength: 32 }))
  .map(([name, content, closed, junk]) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n`, 'utf8'),
      Buffer.from(content),
      Buffer.from(junk),
      Buffer.from(closed ? `\r\n--${boundary}--\r\n` : '', 'utf8'),
    ]),
  );

describe('fuzzing the REST body readers', () => {
  it.each([
    ['arbitrary bytes and content types', fc.tuple(fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)), fc.string({ maxLength: 80 }).map((s) => `multipart/form-data; ${s}`))],
    ['multipart framing around random parts', fc.tuple(multipartBody, fc.constant(`multipart/form-data; boundary=${boundary}`))],
  ])('readMultipartFile over %s: a file or a typed error', async (_name, input) => {
    await fc.assert(
      fc.asyncProperty(input, async ([body, contentType]) => {
        try {
          const file = await readMultipartFile(body, contentType, 128);
          expect(file.bytes.length).toBeLessThanOrEqual(128);
        } catch (error) {
          if (!isTypedRefusal(error)) throw error;
        }
      }),
      RUNS,
    );
  });

  it('readUploadRequest: a request or a typed error for any body', () => {
    const json = fc.oneof(fc.json().map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), fc.record({ fileName: fc.anything() }).map((o) => Buffer.from(JSON.stringify(o) ?? '')));
    fc.assert(
      fc.property(json, (body) => {
        try {
          const request = readUploadRequest(body);
          expect(request.fileName === undefined || typeof request.fileName === 'string').toBe(true);
        } catch (error) {
          if (!isTypedRefusal(error)) throw error;
        }
      }),
      RUNS,
    );
  });

  it('readUrlImportRequest: a URL import with a bounded string url, or a typed error, for any body', () => {
    const member = fc.record({ url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 3000 }), fc.anything()), fileName: fc.anything(), attributes: fc.anything(), extra: fc.anything() }, { requiredKeys: [] });
    const body = fc.oneof(fc.json().map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), member.map((o) => Buffer.from(JSON.stringify(o) ?? '')));
    fc.assert(
      fc.property(body, (given) => {
        try {
          const request = readUrlImportRequest(given);
          expect(typeof request.url === 'string' && Buffer.byteLength(request.url) <= 2048).toBe(true);
          expect(request.fileName === undefined || typeof request.fileName === 'string').toBe(true);
          expect(request.attributes === undefined || Object.values(request.attributes).every((v) => typeof v === 'string')).toBe(true);
        } catch (error) {
          if (!isTypedRefusal(error)) throw error;
        }
      }),
      RUNS,
    );
  });

  it('readImageUpload: an image of at most the limit, or a typed error, for any content type, name and body', async () => {
    const contentType = fc.oneof(fc.constantFrom('image/jpeg', 'IMAGE/png', `multipart/form-data; boundary=${boundary}`, 'text/plain'), fc.string({ maxLength: 60 }));
    const request = fc.record({
      contentType: fc.option(contentType, { nil: undefined }),
      fileNameHeader: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      body: fc.oneof(multipartBody, fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b))),
    });
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        try {
          const upload = await readImageUpload(input, 256);
          expect(upload.bytes.length).toBeGreaterThan(0);
          expect(upload.bytes.length).toBeLessThanOrEqual(256);
        } catch (error) {
          if (!isTypedRefusal(error)) throw error;
        }
      }),
      RUNS,
    );
  });

  it('decodeFileNameHeader: a name or a typed error for any header value', () => {
    const header = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.stringMatching(/^(UTF-8'')?(%[0-9A-Fa-f]{0,2}|[a-z.])*$/));
    fc.assert(
      fc.property(header, (value) => {
        try {
          const name = decodeFileNameHeader(value);
          expect(name === undefined || typeof name === 'string').toBe(true);
        } catch (error) {
          if (!isTypedRefusal(error)) throw error;
        }
      }),
      RUNS,
    );
  });
});
