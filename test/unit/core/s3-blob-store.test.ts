/**
 * What S3BlobStore.put puts on the wire, read by a plain HTTP server on 127.0.0.1 standing where
 * S3 would: the body is signed as UNSIGNED-PAYLOAD and protected by a checksum S3 verifies —
 * the caller's SHA-256 when given, otherwise the SDK's CRC32.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../../core/adapters/s3/blob-store';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let s3: S3Client;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200, { 'content-length': '0' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  s3.destroy();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251));

function crc32Base64(bytes: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString('base64');
}

function signedHeaders(headers: IncomingHttpHeaders): string[] {
  return /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? [];
}

it('sends the caller\'s SHA-256 as the checksum, signed, and does not hash the payload for the signature', async () => {
  const digest = createHash('sha256').update(body).digest();
  await new S3BlobStore(s3).put({ bucket: 'raw', key: 'a/b.jpg' }, body, { contentType: 'image/jpeg', sha256: digest, metadata: { 'image-id': 'x' } });

  expect(received).toHaveLength(1);
  const [{ headers, body: sent }] = received as [Received];
  expect(sent.equals(body)).toBe(true);
  expect(headers['x-amz-checksum-sha256']).toBe(digest.toString('base64'));
  expect(headers['x-amz-checksum-crc32']).toBeUndefined();
  expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
  expect(headers['x-amz-meta-image-id']).toBe('x');
  expect(signedHeaders(headers)).toEqual(expect.arrayContaining(['x-amz-checksum-sha256', 'x-amz-content-sha256']));
});

it('without a digest, lets the SDK add a CRC32 of the body', async () => {
  await new S3BlobStore(s3).put({ bucket: 'processed', key: 'c/thumbnail.jpg' }, body, { contentType: 'image/jpeg' });

  const [{ headers, body: sent }] = received as [Received];
  expect(sent.equals(body)).toBe(true);
  expect(headers['x-amz-checksum-crc32']).toBe(crc32Base64(body));
  expect(headers['x-amz-checksum-sha256']).toBeUndefined();
  expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
});
