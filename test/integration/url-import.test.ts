/**
 * URL import over REST on the real local stack: `POST /v1/images` with a JSON body → 202 and a
 * RECEIVED record → the import queue (moto SQS, a queue of this file's own with its DLQ) → the
 * import worker (through the local poller, the same code `make start` runs) → the SSRF-safe
 * fetcher against a loopback HTTP server this file starts → PROCESSED or FAILED, announced on
 * SNS and received on an SQS queue subscribed to the topic.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import sharp from 'sharp';
import { destroyAwsClients, loadConfig, type Config } from '../../core';
import { HttpsImageFetcher, type ResolveHostname } from '../../core/adapters/fetch';
import { systemResolve } from '../../core/adapters/fetch/guarded-lookup';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import { createPipelineRuntime, imageIdForKey, type PipelineRuntime } from '../../core/runtime';
import { ImageSourceResolver } from '../../core/sources';
import { UrlImportWorker } from '../../import-worker';
import { IngestApi } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { startImportPoller } from '../../local/import-poller';
import { ensureImportQueue } from '../../local/stack/bootstrap';
import { projectRoot } from '../../local/stack/paths';
import { makeJpeg } from '../helpers/images';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server';
import { openNotificationInbox, waitForFinalRecord, type NotificationInbox } from '../helpers/notifications';

/** A name this file's resolver answers with a private address, as a rebinding or split-horizon DNS would. */
const PRIVATE_NAME = 'images.internal.test';

let server: LoopbackServer;
let config: Config;
let runtime: PipelineRuntime;
let inbox: NotificationInbox;
let customerId: string;
let apiKey: string;
let baseUrl: string;
let stopAdapter: () => Promise<void>;
let stopPoller: () => Promise<void>;
let jpeg: Buffer;

beforeAll(async () => {
  server = await startLoopbackServer();
  const queueName = `url-import-test-${randomUUID()}`;
  // The mechanism every loopback URL test uses: loopback allowed, and the test server's port.
  config = loadConfig({ ...process.env, FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(server.port), IMPORT_QUEUE: queueName, LOG_LEVEL: 'WARN' });
  runtime = createPipelineRuntime(config, 'url-import-test');
  await ensureImportQueue(runtime.clients, queueName);
  customerId = `urlimp-${randomUUID().slice(0, 8)}`;
  apiKey = (await createApiKey(runtime.clients.secrets, config.apiKeySecretId, customerId)).key;
  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: (event) => api.handle(event) });
  baseUrl = adapter.url;
  stopAdapter = adapter.stop;
  // The worker's fetcher is the configured one; only its resolver answers PRIVATE_NAME itself (everything else: the system's).
  const lookup: ResolveHostname = async (hostname) => (hostname === PRIVATE_NAME ? [{ address: '10.0.0.7', family: 4 }] : systemResolve(hostname));
  const fetcher = new HttpsImageFetcher({ ...HttpsImageFetcher.fromConfig(config).options, lookup });
  const worker = new UrlImportWorker({ ...runtime, sources: new ImageSourceResolver({ config, blobs: runtime.blobs, fetcher }) });
  stopPoller = (await startImportPoller({ sqs: runtime.clients.sqs, queueName, handler: (event) => worker.handle(event), log: runtime.telemetry, region: config.region, waitSeconds: 1 })).stop;
  inbox = await openNotificationInbox(runtime.clients, config, { customerId });
  jpeg = await makeJpeg({ width: 640, height: 480 });
});

afterAll(async () => {
  await stopPoller?.();
  await stopAdapter?.();
  await inbox?.close();
  for (const name of [config.importQueue.name, `${config.importQueue.name}-dlq`]) {
    const { QueueUrl } = await runtime.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    await runtime.clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
  }
  destroyAwsClients(runtime.clients);
  await server.close();
});

function importUrl(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/v1/images`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function getImage(imageId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/v1/images/${imageId}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A route that serves `jpeg` once `release()` is called (so the test sees the record before the download ends). */
function gatedImageRoute(): { path: string; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const path = server.route((_request, response) => {
    void gate.then(() => response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(jpeg.length) }).end(jpeg));
  });
  return { path, release };
}

describe('POST /v1/images with a JSON body imports an image from a URL', () => {
  it('answers 202 with the RECEIVED record and its Location, then the record ends PROCESSED and image.processed is announced', async () => {
    const { path, release } = gatedImageRoute();
    const url = server.url(path);
    try {
      const response = await importUrl({ url, fileName: 'cat.jpg', attributes: { album: 'summer' } });

      expect(response.status).toBe(202);
      const accepted = (await response.json()) as { imageId: string; status: string; sourceUrl: string; bytes: number; fileName: string };
      expect(accepted).toMatchObject({ status: 'RECEIVED', sourceUrl: url, bytes: 0, fileName: 'cat.jpg' });
      expect(response.headers.get('location')).toBe(`/v1/images/${accepted.imageId}`);
      // Visible at once, pending: the download is held until the test releases it.
      expect((await getImage(accepted.imageId)).body).toMatchObject({ imageId: accepted.imageId, status: 'RECEIVED', sourceUrl: url });

      release();
      const final = await waitForFinalRecord(runtime.metadata, accepted.imageId);
      expect(final).toMatchObject({ status: 'PROCESSED', source: 'api', format: 'jpeg', width: 640, height: 480, bytes: jpeg.length, sourceUrl: url, attributes: { album: 'summer' } });
      const shown = (await getImage(accepted.imageId)).body as { status: string; variants: Record<string, { url: string }> };
      expect(shown.status).toBe('PROCESSED');
      const thumbnail = await fetch(shown.variants.thumbnail!.url);
      expect((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).width).toBeLessThanOrEqual(200);
      const raw = await runtime.blobs.get(final!.raw, config.limits.maxImageBytes);
      expect(raw.equals(jpeg)).toBe(true);
      const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === accepted.imageId));
      expect(notes.filter((n) => n.imageId === accepted.imageId).map((n) => [n.type, n.status, n.source])).toEqual([['image.processed', 'PROCESSED', 'api']]);
      expect(server.hits(path)).toBe(1);
    } finally {
      release();
    }
  });

  it('retries a source that answers 503 twice (the fetcher\'s 3 attempts with backoff) and ends PROCESSED', async () => {
    const path = server.route((_request, response, hit) => {
      if (hit <= 2) response.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
      else response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });

    const response = await importUrl({ url: server.url(path) });

    expect(response.status).toBe(202);
    const { imageId } = (await response.json()) as { imageId: string };
    expect(await waitForFinalRecord(runtime.metadata, imageId)).toMatchObject({ status: 'PROCESSED', width: 640, height: 480 });
    expect(server.hits(path)).toBe(3);
    const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === imageId));
    expect(notes.filter((n) => n.imageId === imageId).map((n) => n.type)).toEqual(['image.processed']);
  });

  it('replays an Idempotency-Key: the same image id, nothing new; the same key with another URL, fileName or attributes is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const path = server.route((_request, response) => void response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    const key = `replay-${randomUUID()}`;
    const request = { url: server.url(path), fileName: 'cat.jpg', attributes: { album: 'summer' } };

    const first = await importUrl(request, { 'Idempotency-Key': key });
    const firstBody = (await first.json()) as { imageId: string };
    await waitForFinalRecord(runtime.metadata, firstBody.imageId);
    const stored = await runtime.metadata.get(firstBody.imageId, new Date());
    const again = await importUrl(request, { 'Idempotency-Key': key });
    const refused = await Promise.all(
      [
        { ...request, url: server.url(`${path}-other`) },
        { ...request, fileName: 'dog.jpg' },
        { url: request.url, attributes: request.attributes },
        { ...request, attributes: { album: 'winter' } },
        { url: request.url, fileName: request.fileName },
      ].map(async (other) => {
        const response = await importUrl(other, { 'Idempotency-Key': key });
        return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as { code: string; detail: string; imageId: string } };
      }),
    );

    expect(first.status).toBe(202);
    expect(firstBody.imageId).toBe(imageIdForKey(customerId, key));
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await again.json()) as { imageId: string; status: string }).toMatchObject({ imageId: firstBody.imageId, status: 'PROCESSED' });
    expect(refused.map((r) => [r.status, r.type, r.body.code, r.body.imageId])).toEqual(Array(5).fill([422, 'application/problem+json', 'IDEMPOTENCY_KEY_REUSED', firstBody.imageId]));
    expect(refused.map((r) => /first requested with (another URL|another fileName|other attributes)/.exec(r.body.detail)?.[1])).toEqual([
      'another URL',
      'another fileName',
      'another fileName',
      'other attributes',
      'other attributes',
    ]);
    // No internal names in what the caller reads.
    for (const r of refused) expect(r.body.detail).not.toMatch(/Error|pipeline|DynamoDB|sha256/);
    expect(await runtime.metadata.get(firstBody.imageId, new Date())).toEqual(stored);
    expect(server.hits(path)).toBe(1);
    expect(server.hits(`${path}-other`)).toBe(0);
    const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === firstBody.imageId));
    expect(notes.filter((n) => n.imageId === firstBody.imageId)).toHaveLength(1);
  });

  it('stores, fetches and announces the canonical URL; a replay spelling it another way is the same request', async () => {
    const path = server.route((_request, response) => void response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    const canonical = server.url(path);
    // Upper-case scheme, a dot segment and a fragment: one URL, spelled the way a user might paste it.
    const typed = canonical.replace(/^http:/, 'HTTP:').replace(path, `/x/..${path}`) + '#preview';
    const key = `canonical-${randomUUID()}`;

    const accepted = await importUrl({ url: typed }, { 'Idempotency-Key': key });
    const body = (await accepted.json()) as { imageId: string; sourceUrl: string };
    const final = await waitForFinalRecord(runtime.metadata, body.imageId);
    const replay = await importUrl({ url: canonical }, { 'Idempotency-Key': key });

    expect(accepted.status).toBe(202);
    expect(body.sourceUrl).toBe(canonical);
    expect(final).toMatchObject({ status: 'PROCESSED', sourceUrl: canonical });
    expect(server.hits(path)).toBe(1);
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === body.imageId));
    expect(notes.filter((n) => n.imageId === body.imageId).map((n) => [n.type, n.sourceUrl])).toEqual([['image.processed', canonical]]);
  });

  it.each([
    ['a tab at the end', (u: string) => `${u}\t`, /a tab \(U\+0009\)/],
    ['a line feed in the path', (u: string) => u.replace('/r/', '/r\n/'), /a line feed \(U\+000A\)/],
    ['a NUL', (u: string) => `${u}\u0000.png`, /a NUL \(U\+0000\)/],
    ['a space', (u: string) => ` ${u}`, /a space \(U\+0020\) at position 1/],
    ['a backslash before an @', () => 'https://example.com\\@evil.test/x.jpg', /a backslash \(U\+005C\) at position 20/],
    ['three slashes and no host', () => 'https:///a.jpg', /scheme must be followed by exactly "\/\/" and a host/],
  ])('refuses a URL with %s: 400 INVALID_URL naming it, nothing stored, nothing fetched', async (_name, spoil, reason) => {
    const path = server.route((_request, response) => void response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    const key = `invalid-url-${randomUUID()}`;

    const response = await importUrl({ url: spoil(server.url(path)) }, { 'Idempotency-Key': key });

    expect(response.status).toBe(400);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('INVALID_URL');
    expect(problem.detail).toMatch(reason);
    expect(await runtime.metadata.get(imageIdForKey(customerId, key), new Date())).toBeUndefined();
    expect(server.hits(path)).toBe(0);
  });
});

describe('idempotent replays of a direct upload and of POST /v1/uploads', () => {
  function upload(bytes: Buffer, key: string, fileName?: string, contentType = 'image/jpeg'): Promise<Response> {
    return fetch(`${baseUrl}/v1/images`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': contentType, 'Idempotency-Key': key, ...(fileName === undefined ? {} : { 'X-File-Name': fileName }) },
      body: bytes,
    });
  }

  it('the same key with other bytes, another file name, or for a URL import is 422 IDEMPOTENCY_KEY_REUSED; the same request, even declared as another type, is a replay', async () => {
    const key = `upload-${randomUUID()}`;
    const other = await makeJpeg({ width: 64, height: 48 });

    const first = await upload(jpeg, key, 'cat.jpg');
    const firstBody = (await first.json()) as { imageId: string };
    const again = await upload(jpeg, key, 'cat.jpg');
    // The format is detected from the bytes, so the declared type does not change the image.
    const declaredPng = await upload(jpeg, key, 'cat.jpg', 'image/png');
    const refused = await Promise.all([upload(other, key, 'cat.jpg'), upload(jpeg, key, 'dog.jpg'), upload(jpeg, key), importUrl({ url: 'https://images.example.com/cat.jpg' }, { 'Idempotency-Key': key })]);
    const problems = await Promise.all(refused.map(async (r) => ({ status: r.status, ...((await r.json()) as { code: string; detail: string }) })));

    expect(first.status).toBe(201);
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect([declaredPng.status, declaredPng.headers.get('idempotent-replayed'), ((await declaredPng.json()) as { imageId: string; contentType: string })]).toEqual([
      201,
      'true',
      expect.objectContaining({ imageId: firstBody.imageId, contentType: 'image/jpeg' }),
    ]);
    expect(problems.map((p) => [p.status, p.code])).toEqual(Array(4).fill([422, 'IDEMPOTENCY_KEY_REUSED']));
    expect(problems.map((p) => /first requested with ([^:]+):/.exec(p.detail)?.[1])).toEqual(['other image bytes', 'another fileName', 'another fileName', 'image bytes (an upload), not a URL']);
    expect(await runtime.metadata.get(firstBody.imageId, new Date())).toMatchObject({ status: 'PROCESSED', fileName: 'cat.jpg', width: 640, height: 480 });
    const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === firstBody.imageId));
    expect(notes.filter((n) => n.imageId === firstBody.imageId).map((n) => [n.type, 'sourceUrl' in n])).toEqual([['image.processed', false]]);
  });

  it('POST /v1/uploads refuses an Idempotency-Key with 400 naming it, and answers without one', async () => {
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${baseUrl}/v1/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ fileName: 'big.jpg' }) });

    const withKey = await post({ 'Idempotency-Key': `uploads-${randomUUID()}` });
    const without = await post({});

    expect(withKey.status).toBe(400);
    expect((await withKey.json()) as { code: string; detail: string }).toMatchObject({ code: 'INVALID_PARAMETER', detail: expect.stringMatching(/^POST \/v1\/uploads takes no Idempotency-Key/) });
    expect(without.status).toBe(201);
  });
});

describe('a URL the address policy refuses', () => {
  it.each([
    ['a scheme other than https', 'ftp://images.example.com/cat.jpg', 'URL_NOT_ALLOWED', /scheme "ftp:" is not allowed/],
    ['plain http to a public host', 'http://images.example.com/cat.jpg', 'URL_NOT_ALLOWED', /scheme "http:" is not allowed/],
    ['the instance metadata address', 'https://169.254.169.254/latest/meta-data/', 'URL_NOT_ALLOWED', /169\.254\.169\.254 is/],
    ['a private address', 'https://10.0.0.1/cat.jpg', 'URL_NOT_ALLOWED', /10\.0\.0\.1 is/],
    ['a port outside the allowed ones', 'https://images.example.com:8443/cat.jpg', 'URL_NOT_ALLOWED', /port 8443 is not allowed/],
    ['an unknown member', { url: 'https://images.example.com/cat.jpg', callback: 'x' }, 'INVALID_PARAMETER', /unknown member "callback"/],
    ['a url that is not a string', { url: 42 }, 'INVALID_PARAMETER', /for url/],
    ['a url over 2048 bytes', `https://images.example.com/${'a'.repeat(2100)}`, 'INVALID_PARAMETER', /at most 2048 UTF-8 bytes/],
  ])('when the URL itself shows it (%s) is refused at submission: 400, nothing stored', async (_name, given, code, detail) => {
    const key = `refused-${randomUUID()}`;
    const body = typeof given === 'string' ? { url: given } : given;

    const response = await importUrl(body, { 'Idempotency-Key': key });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe(code);
    expect(problem.detail).toMatch(detail);
    expect(await runtime.metadata.get(imageIdForKey(customerId, key), new Date())).toBeUndefined();
  });

  it('when only resolving the host shows it, is accepted, then FAILED with the reason and announced as image.failed', async () => {
    const response = await importUrl({ url: `https://${PRIVATE_NAME}:${server.port}/cat.jpg` });

    expect(response.status).toBe(202);
    const { imageId } = (await response.json()) as { imageId: string };
    const final = await waitForFinalRecord(runtime.metadata, imageId);
    expect(final).toMatchObject({ status: 'FAILED', bytes: 0, error: { code: 'FORBIDDEN_SOURCE' } });
    expect(final!.error!.message).toMatch(/resolved to 10\.0\.0\.7 is/);
    expect((await getImage(imageId)).body).toMatchObject({ status: 'FAILED', error: { code: 'FORBIDDEN_SOURCE' } });
    const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === imageId));
    expect(notes.filter((n) => n.imageId === imageId).map((n) => [n.type, n.error?.code])).toEqual([['image.failed', 'FORBIDDEN_SOURCE']]);
  });

  it('when a redirect leads to a forbidden address, is accepted, then FAILED with the reason and announced as image.failed', async () => {
    const path = server.route((_request, response) => void response.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' }).end());

    const response = await importUrl({ url: server.url(path) });

    expect(response.status).toBe(202);
    const { imageId } = (await response.json()) as { imageId: string };
    const final = await waitForFinalRecord(runtime.metadata, imageId);
    expect(final).toMatchObject({ status: 'FAILED', error: { code: 'FORBIDDEN_SOURCE' } });
    expect(final!.error!.message).toMatch(/Refusing redirect/);
    const notes = await inbox.waitFor((received) => received.some((n) => n.imageId === imageId));
    expect(notes.filter((n) => n.imageId === imageId).map((n) => n.type)).toEqual(['image.failed']);
  });
});

describe('the `ingest import` command', () => {
  /** Runs the CLI against this file's API; resolves with its exit code and output (asynchronous: the API is served by this process). */
  async function ingestImport(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(projectRoot(), 'bin', 'ingest.js'), 'import', ...args, '--api', baseUrl, '--key', apiKey], {
        timeout: 120_000,
        // The shell's FETCH_* settings are the API's, as when `ingest start` and `ingest import` share a shell: the CLI checks URLs by them.
        env: { ...process.env, FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(server.port) },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  it('--wait prints the PROCESSED record and exits 0', async () => {
    const path = server.route((_request, response) => void response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));

    const { code, stdout } = await ingestImport(server.url(path), '--wait', '--file-name', 'cli cat.jpg');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'PROCESSED', fileName: 'cli cat.jpg', sourceUrl: server.url(path), width: 640, height: 480 });
  });

  it('exits 2 for a URL the API would refuse at submission (refused locally, by the API\'s own rule), 1 with the problem body for what only the API refuses, and with the FAILED record after --wait', async () => {
    const local = await ingestImport('https://10.0.0.1/cat.jpg');
    const refused = await ingestImport('https://images.example.com/cat.jpg', '--idempotency-key', 'two words');
    const failed = await ingestImport(`https://${PRIVATE_NAME}:${server.port}/cli.jpg`, '--wait');

    expect(local.code).toBe(2);
    expect(local.stderr).toBe('error: not sent (the API would refuse this URL): Refusing to fetch https://10.0.0.1/cat.jpg: address 10.0.0.1 is private (RFC 1918)\n');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 400, code: 'INVALID_PARAMETER' });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'FAILED', error: { code: 'FORBIDDEN_SOURCE' } });
  });

  it('exits 2 with its usage when the URL is missing', async () => {
    const { code, stderr } = await ingestImport();

    expect(code).toBe(2);
    expect(stderr).toMatch(/missing argument\nUsage: ingest import <url>/);
  });
});
