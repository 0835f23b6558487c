/**
 * The local adapter's own refusals (the stand-in for API Gateway's gateway responses) answer
 * through the API's one error map: problem+json with a `urn:image-pipeline:error:*` type and a
 * code — oversized headers (431, which Node would send bare), unparseable HTTP (400), bodies over
 * the limit (413) and a handler that fails (500). The server binds 127.0.0.1 and is stopped here.
 */
import { connect } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { UnauthorizedError } from '../../../core/errors';
import { problemResponse } from '../../../ingest-api/problem';
import { API_GATEWAY_MAX_HEADER_BYTES, clientErrorRefusal, startHttpAdapter } from '../../../local/http-adapter';

const MAX_IMAGE_BYTES = 1024;
let adapter: Awaited<ReturnType<typeof startHttpAdapter>>;
let failNext = false;
const seen: APIGatewayProxyEvent[] = [];
/** Authorization values the in-memory authorizer was asked about, in order. */
const authorizerCalls: (string | undefined)[] = [];
const GOOD = 'Bearer good-credential';

beforeAll(async () => {
  adapter = await startHttpAdapter({
    host: '127.0.0.1',
    port: 0,
    maxImageBytes: MAX_IMAGE_BYTES,
    cors: { allowedOrigins: ['https://app.example.com'], allowCredentials: false },
    // An in-memory stand-in for authorize(): one good credential, customer "acme".
    authorizer: {
      cacheTtlSeconds: 300,
      authorize: (headers) => {
        const value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
        authorizerCalls.push(value);
        return value === GOOD ? Promise.resolve({ customerId: 'acme' }) : Promise.reject(new UnauthorizedError('the API key is not valid'));
      },
    },
    handler: (event) => {
      seen.push(event);
      if (failNext) {
        failNext = false;
        return Promise.reject(new TypeError('handler blew up at /srv/secret/path.ts'));
      }
      return Promise.resolve({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' });
    },
  });
});

afterAll(async () => {
  await adapter.stop();
});

/**
 * Sends raw bytes and reads the answer until the server closes (bounded by a 10 s guard). A reset
 * after the answer (the server drops a body it refused unread) still yields what arrived.
 */
function rawExchange(request: string | Buffer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(adapter.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const guard = setTimeout(() => socket.destroy(new Error('no answer within 10 s')), 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.end(request);
  });
}

function expectProblem(answer: { headers: Record<string, string> | Headers; body: string }, status: number, code: string): void {
  const contentType = answer.headers instanceof Headers ? answer.headers.get('content-type') : answer.headers['content-type'];
  expect(contentType).toBe('application/problem+json');
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, type: `urn:image-pipeline:error:${code.toLowerCase()}` });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
}

describe('oversized request headers: 431 with a problem body', () => {
  it.each([
    ['one 20 KB header', { 'X-Padding': 'a'.repeat(20_000) }],
    ['many small headers over the limit together', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`X-Pad-${i}`, 'b'.repeat(300)]))],
    ['a cookie just over the limit', { Cookie: `c=${'d'.repeat(API_GATEWAY_MAX_HEADER_BYTES)}` }],
  ])('%s', async (_name, headers) => {
    const response = await fetch(`${adapter.url}/v1/images`, { headers });
    expect(response.status).toBe(431);
    expectProblem({ headers: response.headers, body: await response.text() }, 431, 'REQUEST_HEADERS_TOO_LARGE');
  });

  it('headers under the limit still reach the handler', async () => {
    const before = seen.length;
    const response = await fetch(`${adapter.url}/healthz`, { headers: { 'X-Padding': 'a'.repeat(8_000) } });
    expect(response.status).toBe(200);
    expect(seen.length).toBe(before + 1);
  });
});

describe('unparseable HTTP: 400 with a problem body', () => {
  it.each([
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a header name with a space', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
    ['a Content-Length that is not a number', 'POST /v1/images HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n'],
  ])('%s', async (_name, request) => {
    const answer = await rawExchange(request);
    expect(answer.status).toBe(400);
    expectProblem(answer, 400, 'MALFORMED_REQUEST');
  });
});

describe('bodies over the image limit: 413 with a problem body and CORS headers', () => {
  it('a declared Content-Length over the limit is refused unread', async () => {
    const answer = await rawExchange(`POST /v1/images HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nAuthorization: ${GOOD}\r\nContent-Type: image/jpeg\r\nContent-Length: ${MAX_IMAGE_BYTES + 70_000}\r\n\r\n`);
    expect(answer.status).toBe(413);
    expectProblem(answer, 413, 'IMAGE_TOO_LARGE');
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('a chunked body that grows over the limit is refused once it passes it', async () => {
    const chunk = 'e'.repeat(16 * 1024);
    const chunks = Array.from({ length: 8 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const answer = await rawExchange(`POST /v1/images HTTP/1.1\r\nHost: x\r\nAuthorization: ${GOOD}\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    expect(answer.status).toBe(413);
    expectProblem(answer, 413, 'IMAGE_TOO_LARGE');
  });
});

describe('the authorizer runs before the handler on /v1 routes, as API Gateway\'s REQUEST authorizer', () => {
  it('a refused credential is a 401 problem body with CORS headers, and the handler is not called', async () => {
    const before = seen.length;
    const response = await fetch(`${adapter.url}/v1/images`, { headers: { Authorization: 'Bearer ik_unknown', Origin: 'https://app.example.com' } });
    const body = await response.text();
    expect(response.status).toBe(401);
    expectProblem({ headers: response.headers, body }, 401, 'UNAUTHORIZED');
    expect((JSON.parse(body) as { detail: string }).detail).toBe('the API key is not valid');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(seen.length).toBe(before);
  });

  it('an accepted credential reaches the handler as requestContext.authorizer.customerId; the answer is cached per Authorization value', async () => {
    const callsBefore = authorizerCalls.length;
    const first = await fetch(`${adapter.url}/v1/images?limit=1`, { headers: { Authorization: GOOD } });
    const second = await fetch(`${adapter.url}/v1/uploads`, { method: 'POST', headers: { Authorization: GOOD } });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(seen.at(-1)?.requestContext.authorizer).toEqual({ principalId: 'acme', customerId: 'acme', integrationLatency: 0 });
    // Both requests, one authorizer call (or none, when an earlier test already cached GOOD).
    expect(authorizerCalls.length - callsBefore).toBeLessThanOrEqual(1);
    expect(authorizerCalls.filter((v) => v === GOOD)).toHaveLength(1);
  });

  it('/healthz and CORS preflights have no authorizer', async () => {
    const callsBefore = authorizerCalls.length;
    const health = await fetch(`${adapter.url}/healthz`);
    const preflight = await fetch(`${adapter.url}/v1/images`, { method: 'OPTIONS', headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' } });
    expect([health.status, preflight.status]).toEqual([200, 200]);
    expect(seen.at(-1)?.requestContext.authorizer).toBeNull();
    expect(authorizerCalls.length).toBe(callsBefore);
  });
});

describe('a handler that fails: a generic 500 with a problem body', () => {
  it('names nothing of the failure', async () => {
    failNext = true;
    const response = await fetch(`${adapter.url}/healthz`);
    const body = await response.text();
    expect(response.status).toBe(500);
    expectProblem({ headers: response.headers, body }, 500, 'INTERNAL_ERROR');
    expect(body).not.toMatch(/blew up|secret|TypeError/);
  });
});

describe('each parser error Node reports maps to the status Node itself would send', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'REQUEST_HEADERS_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'REQUEST_TIMEOUT'],
    ['HPE_INVALID_METHOD', 400, 'MALFORMED_REQUEST'],
    ['HPE_INVALID_HEADER_TOKEN', 400, 'MALFORMED_REQUEST'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400, 'MALFORMED_REQUEST'],
  ])('%s → %i %s', (nodeCode, status, code) => {
    const error = Object.assign(new Error('Parse Error'), { code: nodeCode });
    const { response } = problemResponse(clientErrorRefusal(error, API_GATEWAY_MAX_HEADER_BYTES), 'r');
    expect([response.statusCode, (JSON.parse(response.body) as { code: string }).code]).toEqual([status, code]);
  });
});
