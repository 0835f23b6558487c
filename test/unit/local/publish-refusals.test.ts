/**
 * `ingest publish` checks the event with the consumer's own rules before it connects to
 * anything: an event the pipeline would refuse exits 2 with one line naming the problem, and no
 * socket is opened (so nothing reaches Kafka or S3). The checks themselves are the consumer's
 * (`assertEventBounds`, the fetcher's admission check under FETCH_*), through `assertPublishable`.
 */
import { mkdtempSync, mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageTooLargeError, InvalidParameterError, MAX_IMAGE_BYTES } from '../../../core';
import { ForbiddenSourceError } from '../../../core/errors';
import { ENV, loadConfig } from '../../../core/config';
import { assertPublishable, type PublishImageInput } from '../../../kafka';
import { assertEventBounds } from '../../../schemas';
import { runIngest } from '../../helpers/ingest-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'publish-refusals-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ingest publish refuses, before connecting, what the pipeline would refuse', () => {
  it.each([
    ['plain http', ['--url', 'http://images.example.com/cat.jpg'], {}, 'Refusing to fetch http://images.example.com/cat.jpg: scheme "http:" is not allowed (https only)'],
    ['a private literal host', ['--url', 'https://192.168.1.10/cat.jpg'], {}, 'address 192.168.1.10 is private (RFC 1918)'],
    ['the metadata endpoint', ['--url', 'https://169.254.169.254/latest/meta-data/'], {}, 'a cloud instance-metadata endpoint'],
    ['a loopback spelt as a mapped IPv6 address', ['--url', 'https://[::ffff:7f00:1]/cat.jpg'], { [ENV.fetchAllowLoopback]: 'true' }, 'embedded as ipv4Mapped'],
    ['a loopback URL without FETCH_ALLOW_LOOPBACK', ['--url', 'http://127.0.0.1:18080/cat.jpg'], {}, 'scheme "http:" is not allowed (https only)'],
    ['a loopback port outside FETCH_ALLOWED_PORTS', ['--url', 'http://127.0.0.1:18080/cat.jpg'], { [ENV.fetchAllowLoopback]: 'true', [ENV.fetchAllowedPorts]: '18081' }, 'port 18080 is not allowed (80 and 18081 only)'],
    ['a URL over 2048 bytes', ['--url', `https://images.example.com/${'a'.repeat(2100)}`], {}, 'Expected at most 2048 UTF-8 bytes for image.url'],
    ['an invalid customer id', ['--url', 'https://images.example.com/cat.jpg', '--customer', 'me@example.com'], {}, 'for --customer but received "me@example.com"'],
  ])('%s: exit 2, one line, no socket', async (_what, args, env, message) => {
    const { code, stderr, sockets } = await runIngest(['publish', ...args], env);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.startsWith('error: ')).toBe(true);
    expect(sockets).toEqual([]);
  });

  it('a file name the consumer refuses (a control character): exit 2, nothing sent', async () => {
    const file = join(dir, 'two\nlines.jpg');
    writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff]));
    const { code, stderr, sockets } = await runIngest(['publish', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('not sent (the pipeline would refuse this event): Expected file name of 1-255 characters');
    expect(stderr).toContain('for fileName');
    expect(sockets).toEqual([]);
  });

  it('a file over the image limit: exit 2 naming the limit, nothing read or sent', async () => {
    const file = join(dir, 'huge.jpg');
    writeFileSync(file, '');
    truncateSync(file, MAX_IMAGE_BYTES + 1);
    const { code, stderr, sockets } = await runIngest(['publish', file]);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: ${file} is 10,485,761 bytes, over the image limit of 10,485,760 bytes (MAX_IMAGE_BYTES)\n`);
    expect(sockets).toEqual([]);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.jpg'), (p: string) => `error: no such file: ${p}\n`],
    ['a directory', () => mkdirSync(join(dir, 'folder.jpg'), { recursive: true }) ?? join(dir, 'folder.jpg'), (p: string) => `error: ${p} is a directory; name an image file\n`],
    ['a path through a file', () => join(dir, 'huge.jpg', 'inner.jpg'), (p: string) => `error: no such file: ${p} (a part of the path is not a directory)\n`],
  ])('%s: exit 2 with one line, not a raw errno', async (_what, make, expected) => {
    const path = make();
    const { code, stderr } = await runIngest(['publish', path]);
    expect(code).toBe(2);
    expect(stderr).toBe(expected(path));
  });

  it.each([
    [['--url', 'https://images.example.com/a.jpg', '--timeout', 'soon'], 'for --timeout but received "soon"'],
    [['--url', 'https://images.example.com/a.jpg', '--framing', 'json'], 'for --framing but received "json"'],
    [['--url', 'https://images.example.com/a.jpg', 'photo.jpg'], 'give exactly one image'],
  ])('%j: a bad option exits 2 as well', async (args, message) => {
    const { code, stderr } = await runIngest(['publish', ...args]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('assertPublishable: the consumer\'s checks on a publisher\'s input', () => {
  const config = loadConfig({ [ENV.endpointS3]: 'http://127.0.0.1:5000' });
  const url = (u: string): PublishImageInput => ({ customerId: 'acme', image: { kind: 'url', url: u } });
  const bytes = (fields: Partial<PublishImageInput>): PublishImageInput => ({ customerId: 'acme', image: { kind: 'bytes', data: Buffer.from('jpeg') }, ...fields });

  it.each([
    ['a file name over 255 characters', bytes({ fileName: 'a'.repeat(256) }), InvalidParameterError, /for fileName/],
    ['a file name of 256 emoji', bytes({ fileName: '😀'.repeat(256) }), InvalidParameterError, /for fileName/],
    ['a file name with a lone surrogate', bytes({ fileName: 'a\uD800.jpg' }), InvalidParameterError, /for fileName/],
    ['51 attributes', bytes({ attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }), InvalidParameterError, /at most 50 entries for attributes/],
    ['an attribute value over 1024 bytes', bytes({ attributes: { note: 'n'.repeat(1025) } }), InvalidParameterError, /for attributes\.note/],
    ['attributes over 16 KiB in all', bytes({ attributes: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])) }), InvalidParameterError, /at most 16384 UTF-8 bytes/],
    ['a content type over 255 bytes', bytes({ contentType: `image/${'x'.repeat(255)}` }), InvalidParameterError, /for contentType/],
    ['bytes over the image limit', bytes({ image: { kind: 'bytes', data: Buffer.alloc(config.limits.maxImageBytes + 1) } }), ImageTooLargeError, /the limit is 10485760/],
    ['an S3 reference outside the claim-check prefix', bytes({ image: { kind: 's3', bucket: config.rawBucket, key: 'raw/2026/01/01/x' } }), ForbiddenSourceError, /must be objects under s3:\/\/.*\/claims\/acme\//],
    ['an http URL', url('http://images.example.com/a.jpg'), ForbiddenSourceError, /https only/],
  ])('refuses %s', (_what, input, type, message) => {
    expect(() => assertPublishable(input, config)).toThrow(type);
    expect(() => assertPublishable(input, config)).toThrow(message);
  });

  it('refuses exactly what the consumer\'s edge check refuses, with the same message', () => {
    const input = bytes({ attributes: { [''.padEnd(129, 'k')]: 'v' } });
    let consumer: Error | undefined;
    try {
      assertEventBounds({ eventId: '0b0e5f5e-4b51-4a43-9f7c-3a4a3b2c1d0e', occurredAt: new Date(), customerId: 'acme', attributes: input.attributes ?? {}, image: { kind: 'inline', data: Buffer.from('jpeg') } });
    } catch (error) {
      consumer = error as Error;
    }
    expect(consumer).toBeInstanceOf(InvalidParameterError);
    expect(() => assertPublishable(input, config)).toThrow(consumer?.message);
  });

  it.each([
    ['a plain event', bytes({ fileName: '写真.jpg', attributes: { camera: 'x100' } })],
    ['an https URL', url('https://images.example.com/a.jpg')],
    ['its own claim check', bytes({ image: { kind: 's3', bucket: config.rawBucket, key: 'claims/acme/0b0e5f5e-4b51-4a43-9f7c-3a4a3b2c1d0e' } })],
  ])('accepts %s', (_what, input) => {
    expect(() => assertPublishable(input, config)).not.toThrow();
  });
});
