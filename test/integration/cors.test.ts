import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { loadConfig, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { CORS_ALLOWED_HEADERS, IngestApi, withCors } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { makeJpeg } from '../helpers/images';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';

// The local adapter with the same CORS wiring as `make start` and the Lambda entry point,
// against the real local stack. Node's http client, not fetch: fetch hides nothing here, but
// http lets a test send exactly the headers a browser would, Origin included.
const ALLOWED = 'https://app.example.com';
const ALSO_ALLOWED = 'http://localhost:8080';
const REFUSED = 'https://evil.example.net';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(base: string, method: string, path: string, headers: Record<string, string | number>, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

let config: Config;
let runtime: PipelineRuntime;
let apiKey: string;
const adapters: { url: string; stop(): Promise<void> }[] = [];

/** Registers an API key for a customer of this test file only. */
async function registerKey(customer: string): Promise<string> {
  return (await createApiKey(runtime.clients.secrets, config.apiKeySecretId, customer)).key;
}

/** Starts the local adapter with CORS from `env` on top of the test environment. */
async function adapterWith(env: Record<string, string>): Promise<string> {
  const corsConfig = loadConfig({ ...process.env, ...env });
  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({
    host: '127.0.0.1',
    port: 0,
    maxImageBytes: corsConfig.limits.maxImageBytes,
    authorizer: gatewayAuthorizer(corsConfig, runtime.secrets),
    handler: withCors(corsConfig.cors, (event) => api.handle(event)),
    cors: corsConfig.cors,
  });
  adapters.push(adapter);
  return adapter.url;
}

let base: string;

beforeAll(async () => {
  config = loadConfig();
  runtime = createPipelineRuntime(config, 'cors-test');
  apiKey = await registerKey(`cors-${randomUUID().slice(0, 8)}`);
  base = await adapterWith({ CORS_ALLOWED_ORIGINS: `${ALLOWED},${ALSO_ALLOWED}` });
});

afterAll(async () => {
  for (const adapter of adapters) await adapter.stop();
});

describe('preflight (OPTIONS) on every /v1 route', () => {
  it.each([
    ['/v1/images', 'POST'],
    ['/v1/images', 'GET'],
    ['/v1/images/01JBQZ5V7W3XKQ4T9M2N8R6PYD', 'GET'],
    ['/v1/uploads', 'POST'],
  ])('%s %s from an allowed origin: 204 with the allowed methods, headers and max age', async (path, method) => {
    const answer = await send(base, 'OPTIONS', path, {
      Origin: ALLOWED,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'authorization, idempotency-key, x-file-name, content-type',
    });
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(answer.headers['access-control-allow-methods']).split(', ')).toContain(method);
    const allowedHeaders = String(answer.headers['access-control-allow-headers']).toLowerCase().split(', ');
    for (const name of ['authorization', 'idempotency-key', 'x-file-name', 'content-type']) expect(allowedHeaders).toContain(name);
    expect(answer.headers['access-control-max-age']).toBe('7200');
    expect(String(answer.headers.vary)).toContain('Origin');
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers each allowed origin with itself, never with another one or *', async () => {
    const answer = await send(base, 'OPTIONS', '/v1/images', { Origin: ALSO_ALLOWED, 'Access-Control-Request-Method': 'POST' });
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(ALSO_ALLOWED);
  });

  it('refuses an origin that is not configured: 403 problem, no Access-Control-Allow-Origin', async () => {
    const answer = await send(base, 'OPTIONS', '/v1/images', { Origin: REFUSED, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' });
    expect(answer.status).toBe(403);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 403, title: 'Forbidden', detail: `origin ${REFUSED} is not allowed to call this API` });
  });

  it('refuses a header outside the allowed list and a method the route does not serve, naming them', async () => {
    const header = await send(base, 'OPTIONS', '/v1/images', { Origin: ALLOWED, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, x-forwarded-host' });
    expect(header.status).toBe(403);
    expect(JSON.parse(header.body).detail).toContain('x-forwarded-host');
    const method = await send(base, 'OPTIONS', '/v1/images/01JBQZ5V7W3XKQ4T9M2N8R6PYD', { Origin: ALLOWED, 'Access-Control-Request-Method': 'DELETE' });
    expect(method.status).toBe(403);
    expect(JSON.parse(method.body).detail).toContain('DELETE');
    expect(method.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a plain OPTIONS (no CORS headers asked) with Allow', async () => {
    const answer = await send(base, 'OPTIONS', '/v1/uploads', {});
    expect(answer.status).toBe(204);
    expect(answer.headers.allow).toBe('POST, OPTIONS');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('covers exactly the headers the issue names plus Content-Type', () => {
    expect([...CORS_ALLOWED_HEADERS].map((h) => h.toLowerCase()).sort()).toEqual(['authorization', 'content-type', 'idempotency-key', 'x-file-name']);
  });
});

describe('actual requests', () => {
  it('a created image from an allowed origin exposes Location and Retry-After to the page', async () => {
    const jpeg = await makeJpeg({ width: 64, height: 48 });
    const answer = await send(base, 'POST', '/v1/images', { Origin: ALLOWED, Authorization: `Bearer ${apiKey}`, 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length }, jpeg);
    expect(answer.status).toBe(201);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    const exposed = String(answer.headers['access-control-expose-headers']).split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['Location', 'Retry-After']));
    expect(answer.headers.location).toMatch(/^\/v1\/images\//);
    expect(String(answer.headers.vary)).toContain('Origin');
  });

  it('errors are readable from an allowed page too (401 without a key)', async () => {
    const answer = await send(base, 'GET', '/v1/images', { Origin: ALLOWED });
    expect(answer.status).toBe(401);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(JSON.parse(answer.body)).toMatchObject({ title: 'Unauthorized' });
  });

  it('a refused origin gets the answer but no Access-Control-Allow-Origin, so its page cannot read it', async () => {
    const answer = await send(base, 'GET', '/v1/images?limit=1', { Origin: REFUSED, Authorization: `Bearer ${apiKey}` });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers['access-control-expose-headers']).toBeUndefined();
    expect(answer.headers.vary).toBe('Origin');
  });

  it("the adapter's own refusal (413 before reading the body, API Gateway's gateway response) carries the CORS headers", async () => {
    const answer = await send(base, 'POST', '/v1/images', { Origin: ALLOWED, Authorization: `Bearer ${apiKey}`, 'Content-Type': 'image/jpeg', 'Content-Length': 50 * 1024 * 1024 });
    expect(answer.status).toBe(413);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('with CORS_ALLOWED_ORIGINS=* every origin gets *, and no Vary', async () => {
    const open = await adapterWith({ CORS_ALLOWED_ORIGINS: '*' });
    const preflight = await send(open, 'OPTIONS', '/v1/uploads', { Origin: REFUSED, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, authorization' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    const actual = await send(open, 'GET', '/v1/images?limit=1', { Origin: REFUSED, Authorization: `Bearer ${apiKey}` });
    expect(actual.headers['access-control-allow-origin']).toBe('*');
    expect(actual.headers.vary).toBeUndefined();
  });
});
