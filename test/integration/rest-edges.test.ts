/**
 * Fault 6 of issue 12 on the real local stack (the HTTP adapter feeding the REST handler real
 * API Gateway events; moto for Secrets Manager, DynamoDB, S3, SNS/SQS): file names in any
 * script survive every path, malformed paths and forged cursors are 400s, bounds are checked
 * with nothing stored, and the S3 upload handler gives up on a bad upload by recording it
 * FAILED, announcing it and removing its incoming/ object.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { destroyAwsClients, incomingKey, loadConfig, newImageId, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { IngestApi, UploadProcessor } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { projectRoot } from '../../local/stack/paths';
import { makeJpeg } from '../helpers/images';
import { openNotificationInbox, type NotificationInbox } from '../helpers/notifications';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import { objectCreatedEvent } from '../helpers/s3-events';

const run = promisify(execFile);
let config: Config;
let runtime: PipelineRuntime;
let baseUrl: string;
let apiKey: string;
let customerId: string;
let stopAdapter: () => Promise<void>;
let inbox: NotificationInbox;
let jpeg: Buffer;

beforeAll(async () => {
  config = loadConfig({ ...process.env, LOG_LEVEL: 'SILENT' });
  runtime = createPipelineRuntime(config, 'rest-edges-test');
  customerId = `edges-${randomUUID().slice(0, 8)}`;
  apiKey = (await createApiKey(runtime.clients.secrets, config.apiKeySecretId, customerId)).key;
  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: (event) => api.handle(event) });
  baseUrl = adapter.url;
  stopAdapter = adapter.stop;
  inbox = await openNotificationInbox(runtime.clients, config, { customerId });
  jpeg = await makeJpeg({ width: 96, height: 64 });
});

afterAll(async () => {
  await stopAdapter?.();
  await inbox?.close();
  if (runtime) destroyAwsClients(runtime.clients);
});

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${apiKey}` });

describe('file names in any script survive every path', () => {
  it.each([['фото 😀 ünï.jpg'], ['写真.jpg'], ['صورة عائلية.jpg']])('a browser multipart upload of %s', async (fileName) => {
    const form = new FormData();
    form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), fileName);
    const response = await fetch(`${baseUrl}/v1/images`, { method: 'POST', body: form, headers: auth() });
    expect(response.status).toBe(201);
    const record = (await response.json()) as { imageId: string; fileName: string };
    expect(record.fileName).toBe(fileName);
    expect((await runtime.metadata.get(record.imageId, new Date()))?.fileName).toBe(fileName);
  });

  it.each([
    ['percent-encoded', encodeURIComponent('写真 1.jpg'), '写真 1.jpg'],
    ['RFC 5987', `UTF-8''${encodeURIComponent('фото.jpg')}`, 'фото.jpg'],
  ])('an X-File-Name header, %s', async (_name, header, expected) => {
    const response = await fetch(`${baseUrl}/v1/images`, { method: 'POST', body: jpeg, headers: { ...auth(), 'Content-Type': 'image/jpeg', 'X-File-Name': header } });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { fileName: string }).fileName).toBe(expected);
  });

  it('`ingest upload 写真.jpg` sends the name and stores it unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-'));
    try {
      const file = join(dir, '写真.jpg');
      writeFileSync(file, jpeg);
      // Asynchronous on purpose: the API under test is served by this very process.
      const { stdout } = await run(process.execPath, [join(projectRoot(), 'bin', 'ingest.js'), 'upload', file, '--api', baseUrl, '--key', apiKey]);
      expect(JSON.parse(stdout)).toMatchObject({ status: 'PROCESSED', fileName: '写真.jpg' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('refusals at the edge', () => {
  it.each([['/v1/images/%E0%A4%A'], ['/v1/images/%'], ['/v1/images/%C0%AF']])('GET %s is a 400, not a 500', async (path) => {
    const response = await fetch(`${baseUrl}${path}`, { headers: auth() });
    expect(response.status).toBe(400);
  });

  it('a forged list cursor is a 400: another customer’s, a wrong shape, plain junk', async () => {
    const forge = (key: unknown): string => Buffer.from(JSON.stringify(key)).toString('base64url');
    const forged = [
      forge({ imageId: randomUUID(), customerId: 'someone-else', createdAt: new Date().toISOString() }),
      forge({ imageId: randomUUID(), customerId, createdAt: new Date().toISOString(), statusDay: 'x' }),
      'bogus',
    ];
    for (const cursor of forged) {
      const response = await fetch(`${baseUrl}/v1/images?cursor=${encodeURIComponent(cursor)}`, { headers: auth() });
      expect([cursor.slice(0, 12), response.status]).toEqual([cursor.slice(0, 12), 400]);
    }
  });

  it('a file name over its bound is a 400 and nothing is stored', async () => {
    const before = await runtime.metadata.listByCustomer(customerId, { limit: 100 }, new Date());
    const response = await fetch(`${baseUrl}/v1/images`, {
      method: 'POST',
      body: jpeg,
      headers: { ...auth(), 'Content-Type': 'image/jpeg', 'Idempotency-Key': `too-long-${randomUUID()}`, 'X-File-Name': encodeURIComponent('n'.repeat(300)) },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/fileName/);
    const after = await runtime.metadata.listByCustomer(customerId, { limit: 100 }, new Date());
    expect(after.items.length).toBe(before.items.length);
  });
});

describe('every refusal is problem+json with a urn:image-pipeline:error type and a code', () => {
  const cases: [string, string, string, () => Record<string, string>, string | undefined, number, string][] = [
    ['an unknown path', 'GET', '/v2/images', auth, undefined, 404, 'NOT_FOUND'],
    ['a method the path does not serve', 'DELETE', '/v1/images', auth, undefined, 405, 'METHOD_NOT_ALLOWED'],
    ['no API key', 'GET', '/v1/images', () => ({}), undefined, 401, 'UNAUTHORIZED'],
    ["another customer's list", 'GET', '/v1/images?customerId=someone-else', auth, undefined, 403, 'FORBIDDEN'],
    ['a text body', 'POST', '/v1/images', () => ({ ...auth(), 'Content-Type': 'text/plain' }), 'hello', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['an empty image body', 'POST', '/v1/images', () => ({ ...auth(), 'Content-Type': 'image/jpeg' }), undefined, 400, 'MALFORMED_REQUEST'],
    ['a body that is not JSON', 'POST', '/v1/uploads', () => ({ ...auth(), 'Content-Type': 'application/json' }), '{not json', 400, 'MALFORMED_REQUEST'],
    ['a 20 KB header', 'GET', '/v1/images', () => ({ ...auth(), 'X-Padding': 'p'.repeat(20_000) }), undefined, 431, 'REQUEST_HEADERS_TOO_LARGE'],
  ];

  it.each(cases)('%s: %s %s', async (_name, method, path, headers, body, status, code) => {
    const response = await fetch(`${baseUrl}${path}`, { method, headers: headers(), body });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status, code, type: `urn:image-pipeline:error:${code.toLowerCase()}` });
    expect(problem.detail).not.toMatch(/\n\s+at /);
  });

  it('a 405 lists the methods the path serves in Allow', async () => {
    const response = await fetch(`${baseUrl}/v1/uploads`, { method: 'PUT', headers: auth() });
    expect([response.status, response.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it.each([
    ['an escape sequence', '\u001b[31mred\u001b[0m'],
    ['DEL', 'ab\u007fcd'],
    ['a C1 next-line', 'ab\u0085cd'],
    ['a line separator', 'ab\u2028cd'],
    ['a right-to-left override', 'ab\u202ecd'],
  ])('a forged cursor carrying %s is a 400 whose detail shows no control character', async (_name, cursor) => {
    const response = await fetch(`${baseUrl}/v1/images?cursor=${encodeURIComponent(cursor)}`, { headers: auth() });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('INVALID_PARAMETER');
    expect(problem.detail).toMatch(/cursor/);
    expect(problem.detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
  });
});

describe('the S3 upload handler gives up on bad uploads: FAILED, announced, incoming/ removed', () => {
  function s3Event(key: string): S3Event {
    return objectCreatedEvent(config.region, config.rawBucket, key);
  }

  async function exists(key: string): Promise<boolean> {
    return runtime.clients.s3.send(new HeadObjectCommand({ Bucket: config.rawBucket, Key: key })).then(
      () => true,
      () => false,
    );
  }

  it.each([
    ['a file-name metadata over its bound', { 'customer-id': '', 'file-name': encodeURIComponent('n'.repeat(300)) }, 'FAILED-BOUNDS'],
    ['bytes that are not an image', { 'customer-id': '', 'file-name': 'notes.txt' }, 'FAILED'],
  ])('%s', async (_name, metadata, status) => {
    const imageId = newImageId();
    const key = incomingKey(imageId);
    const body = status === 'FAILED-BOUNDS' ? jpeg : Buffer.from('plain text, not an image');
    await runtime.clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: body, Metadata: { ...metadata, 'customer-id': customerId } }));

    await new UploadProcessor(runtime).handle(s3Event(key));

    const record = await runtime.metadata.get(imageId, new Date());
    if (status === 'FAILED-BOUNDS') {
      // The over-long name cannot be kept: the upload is refused, recorded FAILED with why.
      expect(record).toMatchObject({ status: 'FAILED', error: { code: 'INVALID_PARAMETER' } });
      expect(record?.fileName).toBeUndefined();
    } else {
      expect(record).toMatchObject({ status: 'FAILED', error: { code: 'UNSUPPORTED_IMAGE' } });
    }
    expect(await exists(key)).toBe(false);
    const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === imageId));
    expect(notes.filter((n) => n.imageId === imageId).map((n) => n.type)).toEqual(['image.failed']);
  });

  it('an upload without a valid customer is removed and nothing is stored', async () => {
    const imageId = newImageId();
    const key = incomingKey(imageId);
    await runtime.clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: jpeg, Metadata: { 'customer-id': 'not/a/customer' } }));

    await new UploadProcessor(runtime).handle(s3Event(key));

    expect(await runtime.metadata.get(imageId, new Date())).toBeUndefined();
    expect(await exists(key)).toBe(false);
  });
});
