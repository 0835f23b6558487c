import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { MAX_IMAGE_BYTES, keyHashPrefix, loadConfig, rawKey, sha256Hex, type Config } from '../../core';
import { createPipelineRuntime, imageIdForKey, type PipelineRuntime } from '../../core/runtime';
import { IngestApi, UploadProcessor } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { startUploadPoller } from '../../local/upload-poller';
import { projectRoot } from '../../local/stack/paths';
import {
  makeAnimatedGif,
  makeAvif,
  makeBmp,
  makeCameraJpeg,
  makeJpeg,
  makeJpegOfExactSize,
  makePixelBombPng,
  makePngWithAlpha,
  makeSvg,
  makeTiff,
  makeTruncatedJpeg,
  makeWebp,
  randomBytes,
} from '../helpers/images';
import { openNotificationInbox, type NotificationInbox } from '../helpers/notifications';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';

const TEN_MIB = MAX_IMAGE_BYTES;
const run = promisify(execFile);
let config: Config;
let runtime: PipelineRuntime;
let baseUrl: string;
let apiKey: string;
let customerId: string;
let stopAdapter: () => Promise<void>;
let stopPoller: () => Promise<void>;
let notifications: NotificationInbox;

/** Registers a key for a customer of this test file only. */
async function registerKey(customer: string): Promise<string> {
  return (await createApiKey(runtime.clients.secrets, config.apiKeySecretId, customer)).key;
}

beforeAll(async () => {
  config = loadConfig();
  runtime = createPipelineRuntime(config, 'rest-api-test');
  customerId = `rest-${randomUUID().slice(0, 8)}`;
  apiKey = await registerKey(customerId);
  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: (event) => api.handle(event) });
  baseUrl = adapter.url;
  stopAdapter = adapter.stop;
  const uploads = new UploadProcessor(runtime);
  stopPoller = (await startUploadPoller({ sqs: runtime.clients.sqs, queueName: config.local.uploadQueue, handler: (e) => uploads.handle(e), log: runtime.telemetry, waitSeconds: 1 })).stop;
  notifications = await openNotificationInbox(runtime.clients, config, { customerId });
});

afterAll(async () => {
  await stopPoller();
  await stopAdapter();
  await notifications.close();
});

function post(body: Buffer | FormData, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/v1/images`, { method: 'POST', body, headers: { Authorization: `Bearer ${apiKey}`, ...headers } });
}

async function item(imageId: string): Promise<Record<string, unknown> | undefined> {
  return (await runtime.clients.documents.send(new GetCommand({ TableName: config.table.name, Key: { imageId }, ConsistentRead: true }))).Item;
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const result = await runtime.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (result.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

interface ApiRecord {
  imageId: string;
  status: string;
  format: string;
  width: number;
  height: number;
  raw: { bucket: string; key: string };
  variants: Record<string, { key: string; width: number; height: number; format: string; url: string }>;
  createdAt: string;
  expiresAt: number;
}

describe('POST /v1/images stores, processes and announces every accepted format', () => {
  const cases: [string, string, () => Promise<Buffer>, number, number][] = [
    ['jpeg', 'image/jpeg', () => makeJpeg({ width: 1200, height: 900 }), 1200, 900],
    ['png', 'image/png', () => makePngWithAlpha({ width: 640, height: 480 }), 640, 480],
    ['gif', 'image/gif', () => makeAnimatedGif({ width: 320, height: 240 }), 320, 240],
    ['webp', 'image/webp', () => makeWebp({ width: 900, height: 1200 }), 900, 1200],
    ['tiff', 'image/tiff', () => makeTiff({ width: 500, height: 400 }), 500, 400],
    ['avif', 'image/avif', () => makeAvif({ width: 400, height: 300 }), 400, 300],
    ['bmp', 'image/bmp', () => Promise.resolve(makeBmp({ width: 300, height: 200, bitsPerPixel: 24 })), 300, 200],
  ];

  const created: { format: string; imageId: string }[] = [];

  it.each(cases)('%s comes back 201 with raw, metadata, variants and TTL', async (format, contentType, make, width, height) => {
    const bytes = await make();
    const response = await post(bytes, { 'Content-Type': contentType, 'X-File-Name': `photo.${format}` });
    expect(response.status).toBe(201);
    const record = (await response.json()) as ApiRecord;
    created.push({ format, imageId: record.imageId });
    expect(record).toMatchObject({ status: 'PROCESSED', format, width, height });

    const raw = await objectBytes(record.raw.bucket, record.raw.key);
    expect(sha256Hex(raw)).toBe(sha256Hex(bytes));
    expect(record.raw.key).toMatch(new RegExp(`^raw/${keyHashPrefix(record.imageId)}/\\d{4}/\\d{2}/\\d{2}/${record.imageId}\\.`));

    const stored = await item(record.imageId);
    expect(stored).toMatchObject({ status: 'PROCESSED', source: 'api', customerId, fileName: `photo.${format}` });
    const createdAtSeconds = Math.floor(Date.parse(stored?.createdAt as string) / 1000);
    expect(stored?.expiresAt).toBe(createdAtSeconds + 604_800);

    expect(Object.keys(record.variants).sort()).toEqual(['large', 'large-webp', 'medium', 'thumbnail']);
    for (const [name, variant] of Object.entries(record.variants)) {
      const meta = await sharp(await objectBytes(config.processedBucket, variant.key)).metadata();
      expect({ name, width: meta.width, height: meta.height, format: meta.format }).toEqual({ name, width: variant.width, height: variant.height, format: variant.format });
    }
    expect([record.variants.thumbnail?.width, record.variants.thumbnail?.height]).toEqual([200, 200]);
    // Never enlarged: every image here is smaller than 1600 px, so `large` keeps its size.
    expect([record.variants.large?.width, record.variants.large?.height]).toEqual([width, height]);
  });

  it('publishes one image.processed notification per image with filterable attributes', async () => {
    const isOurs = (n: { imageId: string }): boolean => created.some((c) => c.imageId === n.imageId);
    const received = await notifications.waitFor((all) => all.filter(isOurs).length >= created.length);
    const ours = received.filter(isOurs);
    expect(ours.map((n) => n.imageId).sort()).toEqual(created.map((c) => c.imageId).sort());
    for (const n of ours) {
      // notificationId (body and attribute) is the id subscribers dedupe on (docs/notifications.md).
      expect(n.attributes).toEqual({ type: 'image.processed', source: 'api', customerId, notificationId: (n as { notificationId?: string }).notificationId });
      expect(n.attributes.notificationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(n).toMatchObject({ type: 'image.processed', status: 'PROCESSED', source: 'api', customerId });
    }
  });
});

describe('size limits', () => {
  it('accepts a body of exactly 10 MiB', async () => {
    const bytes = await makeJpegOfExactSize(TEN_MIB);
    const response = await post(bytes, { 'Content-Type': 'image/jpeg' });
    expect(response.status).toBe(201);
    expect(((await response.json()) as ApiRecord).status).toBe('PROCESSED');
  });

  it('refuses 10 MiB + 1 byte with 413 and leaves nothing behind', async () => {
    const key = randomUUID();
    const bytes = await makeJpegOfExactSize(TEN_MIB + 1);
    const response = await post(bytes, { 'Content-Type': 'image/jpeg', 'Idempotency-Key': key });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const imageId = imageIdForKey(customerId, key);
    expect(await item(imageId)).toBeUndefined();
    const listed = await runtime.clients.s3.send(new ListObjectsV2Command({ Bucket: config.rawBucket, Prefix: rawKey(imageId, new Date()) }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('takes a 10 MiB file end to end through a presigned S3 upload', async () => {
    const created = await fetch(`${baseUrl}/v1/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ fileName: 'big photo.jpg' }) });
    expect(created.status).toBe(201);
    const { imageId, upload } = (await created.json()) as { imageId: string; upload: { url: string; fields: Record<string, string> } };
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('Content-Type', 'image/jpeg');
    form.append('file', new Blob([await makeJpegOfExactSize(TEN_MIB)]), 'big photo.jpg');
    const uploaded = await fetch(upload.url, { method: 'POST', body: form });
    expect(uploaded.status).toBeLessThan(300);

    let record: ApiRecord | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const got = await fetch(`${baseUrl}/v1/images/${imageId}`, { headers: { Authorization: `Bearer ${apiKey}` } });
      if (got.status === 200) {
        record = (await got.json()) as ApiRecord;
        if (record.status !== 'RECEIVED') break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(record).toMatchObject({ imageId, status: 'PROCESSED', format: 'jpeg' });
    expect(await item(imageId)).toMatchObject({ source: 'upload', customerId, fileName: 'big photo.jpg', bytes: TEN_MIB });
  });
});

describe('image handling', () => {
  it('turns a rotated EXIF JPEG upright and strips EXIF/GPS from every copy', async () => {
    const bytes = await makeCameraJpeg({ width: 800, height: 600, orientation: 6 });
    const response = await post(bytes, { 'Content-Type': 'image/jpeg' });
    expect(response.status).toBe(201);
    const record = (await response.json()) as ApiRecord;
    expect([record.width, record.height]).toEqual([600, 800]);
    for (const variant of Object.values(record.variants)) {
      const meta = await sharp(await objectBytes(config.processedBucket, variant.key)).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.orientation ?? 1).toBe(1);
    }
    expect([record.variants.medium?.width, record.variants.medium?.height]).toEqual([450, 600]);
  });
});

describe('bad input gets a clear error and loses nothing', () => {
  const bad: [string, string, () => Promise<Buffer>, number, string][] = [
    ['a truncated JPEG', 'image/jpeg', () => makeTruncatedJpeg({ width: 800, height: 600 }), 422, 'UNDECODABLE_IMAGE'],
    ['random bytes named .jpg', 'image/jpeg', () => Promise.resolve(randomBytes(50_000, 99)), 415, 'UNSUPPORTED_IMAGE'],
    ['an SVG with an image content type', 'image/svg+xml', () => Promise.resolve(makeSvg()), 415, 'UNSUPPORTED_IMAGE'],
    ['a pixel-bomb PNG', 'image/png', () => Promise.resolve(makePixelBombPng()), 422, 'TOO_MANY_PIXELS'],
  ];

  it.each(bad)('%s: clear 4xx, a FAILED record with raw bytes kept, and an image.failed notification', async (_name, contentType, make, status, code) => {
    const bytes = await make();
    const response = await post(bytes, { 'Content-Type': contentType, 'X-File-Name': 'evil.jpg' });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { status: number; code: string; imageId: string; detail: string };
    expect(problem).toMatchObject({ status, code });
    expect(problem.detail).not.toMatch(/\n\s+at /);
    const stored = await item(problem.imageId);
    expect(stored).toMatchObject({ status: 'FAILED', error: { code } });
    const raw = stored?.raw as { bucket: string; key: string };
    expect(sha256Hex(await objectBytes(raw.bucket, raw.key))).toBe(sha256Hex(bytes));
    const received = await notifications.waitFor((all) => all.some((n) => n.imageId === problem.imageId));
    expect(received.filter((n) => n.imageId === problem.imageId).map((n) => n.attributes.type)).toEqual(['image.failed']);

    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
  });

  it('refuses a non-image content type with 415 before storing anything', async () => {
    const response = await post(Buffer.from('<html></html>'), { 'Content-Type': 'text/html' });
    expect(response.status).toBe(415);
  });

  it('answers 404 for an unknown image and for a malformed cursor 400', async () => {
    expect((await fetch(`${baseUrl}/v1/images/${randomUUID()}`, { headers: { Authorization: `Bearer ${apiKey}` } })).status).toBe(404);
    expect((await fetch(`${baseUrl}/v1/images?cursor=bogus`, { headers: { Authorization: `Bearer ${apiKey}` } })).status).toBe(400);
  });
});

describe('idempotency', () => {
  it('the same Idempotency-Key twice gives one record and one notification', async () => {
    const key = randomUUID();
    const bytes = await makeJpeg({ width: 400, height: 300 }, 321);
    const first = await post(bytes, { 'Content-Type': 'image/jpeg', 'Idempotency-Key': key });
    const second = await post(bytes, { 'Content-Type': 'image/jpeg', 'Idempotency-Key': key });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const [a, b] = [(await first.json()) as ApiRecord, (await second.json()) as ApiRecord];
    expect(b.imageId).toBe(a.imageId);
    expect(b.createdAt).toBe(a.createdAt);
    // Give a second notification time to arrive if one were (wrongly) published.
    const received = await notifications.waitFor((all) => all.filter((n) => n.imageId === a.imageId).length >= 2, 4000);
    expect(received.filter((n) => n.imageId === a.imageId)).toHaveLength(1);
  });

  it('the same key with other bytes is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = randomUUID();
    expect((await post(await makeJpeg({ width: 100, height: 100 }, 1), { 'Content-Type': 'image/jpeg', 'Idempotency-Key': key })).status).toBe(201);
    const conflict = await post(await makeJpeg({ width: 100, height: 100 }, 2), { 'Content-Type': 'image/jpeg', 'Idempotency-Key': key });
    expect(conflict.status).toBe(422);
    expect(((await conflict.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('authentication', () => {
  it('a valid key sent only as the retired x-api-key header is 401 naming the Authorization header', async () => {
    const response = await fetch(`${baseUrl}/v1/images?limit=1`, { headers: { 'x-api-key': apiKey } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { detail: string }).detail).toBe('the x-api-key header is no longer accepted: send the key as "Authorization: Bearer <key>"');
  });

  it.each([
    ['missing', {}],
    ['unknown', { Authorization: 'Bearer ik_not-a-real-key' }],
    ['malformed bearer', { Authorization: 'Bearer' }],
  ])('a %s key is 401 and nothing is stored', async (_name, headers) => {
    const bytes = await makeJpeg({ width: 120, height: 90 }, 4242);
    const response = await fetch(`${baseUrl}/v1/images`, { method: 'POST', body: bytes, headers: { 'Content-Type': 'image/jpeg', ...headers } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { title: string }).title).toBe('Unauthorized');
    const scan = await runtime.clients.documents.send(new ScanCommand({ TableName: config.table.name, FilterExpression: 'sha256 = :s', ExpressionAttributeValues: { ':s': sha256Hex(bytes) } }));
    expect(scan.Items ?? []).toEqual([]);
  });

  it('lists only the caller\'s images, newest first, paged by cursor', async () => {
    const firstPage = await fetch(`${baseUrl}/v1/images?limit=2`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(firstPage.status).toBe(200);
    const page = (await firstPage.json()) as { items: ApiRecord[]; cursor?: string };
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.cursor).toBeDefined();
    const next = (await (await fetch(`${baseUrl}/v1/images?limit=2&cursor=${page.cursor}`, { headers: { Authorization: `Bearer ${apiKey}` } })).json()) as { items: ApiRecord[] };
    const all = [...page.items, ...next.items];
    expect(all.map((r) => r.createdAt)).toEqual([...all.map((r) => r.createdAt)].sort().reverse());
    expect(new Set(all.map((r) => r.imageId)).size).toBe(all.length);
    const other = await fetch(`${baseUrl}/v1/images?customerId=someone-else`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(other.status).toBe(403);
  });
});

describe('the `ingest upload` command', () => {
  it.each([[[]], [['--presigned']]])('uploads a file through the API and prints the PROCESSED record (%j)', async (flags) => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-'));
    try {
      const file = join(dir, 'cli photo.jpg');
      writeFileSync(file, await makeJpeg({ width: 640, height: 480 }, 77));
      // Asynchronous on purpose: the API under test is served by this very process.
      const { stdout } = await run(process.execPath, [join(projectRoot(), 'bin', 'ingest.js'), 'upload', file, '--api', baseUrl, '--key', apiKey, ...flags]);
      const record = JSON.parse(stdout) as ApiRecord & { fileName: string };
      expect(record).toMatchObject({ status: 'PROCESSED', format: 'jpeg', width: 640, height: 480, fileName: 'cli photo.jpg' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('multipart and dependency failures', () => {
  it('accepts a browser form upload (multipart/form-data with one file field)', async () => {
    const form = new FormData();
    form.append('note', 'ignored field');
    form.append('file', new Blob([await makePngWithAlpha({ width: 330, height: 220 })], { type: 'image/png' }), 'form photo.png');
    const response = await post(form);
    expect(response.status).toBe(201);
    const record = (await response.json()) as ApiRecord & { fileName: string };
    expect(record).toMatchObject({ status: 'PROCESSED', format: 'png', width: 330, height: 220, fileName: 'form photo.png' });
  });

  it('refuses a form without a file with 400', async () => {
    const form = new FormData();
    form.append('note', 'no file here');
    const response = await post(form);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toBe('the multipart body has no file field');
  });

  it('answers 503 with Retry-After when DynamoDB is down, and the server keeps serving', async () => {
    // The same API, wired to a DynamoDB endpoint where nothing listens.
    const broken = createPipelineRuntime(loadConfig({ ...process.env, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' }), 'rest-api-test-broken');
    const api = new IngestApi(broken);
    const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: (event) => api.handle(event) });
    try {
      const response = await fetch(`${adapter.url}/v1/images`, { method: 'POST', body: await makeJpeg({ width: 64, height: 48 }, 9), headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'image/jpeg' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe('DEPENDENCY_UNAVAILABLE');
      // Callers get a generic detail; which dependency and operation failed is in the log only.
      expect(problem.detail).toMatch(/^a service the API depends on is unavailable; retry later/);
      expect(problem.detail).not.toMatch(/DynamoDB|PutItem/);
      expect((await fetch(`${adapter.url}/healthz`)).status).toBe(200);
    } finally {
      await adapter.stop();
    }
  });
});
