/**
 * The router (ingest-api/router.ts) with bindings and an authenticator of the test's own: 404
 * vs 405, HEAD and OPTIONS as the API has always answered them (405; CORS preflights are
 * `withCors`'s), authentication as one step before every non-public route, and every failure
 * through the one error map. Also the authenticator that trusts the gateway authorizer's customer.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError, createTelemetry, type RequestLimiter } from '../../../core';
import { GatewayAuthorizerAuthenticator, type Authenticator } from '../../../ingest-api/authentication';
import type { HttpRequest } from '../../../ingest-api/http';
import { Router, type RouteBindings } from '../../../ingest-api/router';

const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' });

function request(method: string, path: string, headers: Record<string, string> = {}): HttpRequest {
  return { method, path, headers, query: {}, body: Buffer.alloc(0), requestId: 'req-1' };
}

function ok(body: unknown): APIGatewayProxyResult {
  return { statusCode: 200, headers: {}, body: JSON.stringify(body) };
}

/** Bindings that answer who called them, and an authenticator that trusts an `x-customer` header. */
function setup(overrides: Partial<RouteBindings> = {}, limiter?: RequestLimiter) {
  const calls: string[] = [];
  const authenticator: Authenticator = {
    authenticate: ({ headers }) => {
      calls.push('authenticate');
      return headers['x-customer'] === undefined ? Promise.reject(new UnauthorizedError('who are you')) : Promise.resolve(headers['x-customer']);
    },
  };
  const customer = (name: string) => ({
    access: 'customer' as const,
    handle: ({ customerId, pathParameters }: { customerId: string; pathParameters: Readonly<Record<string, string>> }) => {
      calls.push(name);
      return Promise.resolve(ok({ name, customerId, pathParameters }));
    },
  });
  const bindings: RouteBindings = {
    health: { access: 'public', handle: () => (calls.push('health'), Promise.resolve(ok({ name: 'health' }))) },
    createImage: customer('createImage'),
    listImages: customer('listImages'),
    getImage: customer('getImage'),
    createUpload: customer('createUpload'),
    ...overrides,
  };
  return { router: new Router(bindings, { authenticator, telemetry, limiter }), calls };
}

const problem = (result: APIGatewayProxyResult) => JSON.parse(result.body) as { status: number; code: string; type: string; detail: string };

describe('routing', () => {
  it('dispatches to the binding with the authenticated customer and path parameters', async () => {
    const { router, calls } = setup();
    const result = await router.handle(request('GET', '/v1/images/abc', { 'x-customer': 'acme' }));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ name: 'getImage', customerId: 'acme', pathParameters: { id: 'abc' } });
    expect(calls).toEqual(['authenticate', 'getImage']);
  });

  it.each([['/v2/images'], ['/'], ['/v1/images/a/b']])('an unknown path %s is 404 NOT_FOUND, before authentication', async (path) => {
    const { router, calls } = setup();
    const result = await router.handle(request('GET', path));
    expect(result.statusCode).toBe(404);
    expect(problem(result)).toMatchObject({ code: 'NOT_FOUND', type: 'urn:image-pipeline:error:not_found' });
    expect(calls).toEqual([]);
  });

  it.each([
    ['DELETE', '/v1/images', 'POST, GET'],
    ['PUT', '/v1/images/abc', 'GET'],
    ['GET', '/v1/uploads', 'POST'],
    ['HEAD', '/v1/images', 'POST, GET'],
    ['HEAD', '/healthz', 'GET'],
    ['OPTIONS', '/v1/images', 'POST, GET'],
  ])('%s %s is 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, path, allow) => {
    const { router, calls } = setup();
    const result = await router.handle(request(method, path, { 'x-customer': 'acme' }));
    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ Allow: allow, 'Content-Type': 'application/problem+json' });
    expect(problem(result)).toMatchObject({ code: 'METHOD_NOT_ALLOWED', type: 'urn:image-pipeline:error:method_not_allowed' });
    expect(calls).toEqual([]);
  });

  it('a malformed percent-encoded path is 400 INVALID_PARAMETER', async () => {
    const { router } = setup();
    const result = await router.handle(request('GET', '/v1/images/%E0%A4%A', { 'x-customer': 'acme' }));
    expect([result.statusCode, problem(result).code]).toEqual([400, 'INVALID_PARAMETER']);
  });

  it('a very long unknown path is cut in the detail', async () => {
    const { router } = setup();
    const result = await router.handle(request('GET', `/${'x'.repeat(5000)}`));
    expect(problem(result).detail.length).toBeLessThan(300);
  });
});

describe('authentication is one step before every non-public route', () => {
  it('the public health route runs without it', async () => {
    const { router, calls } = setup();
    expect((await router.handle(request('GET', '/healthz'))).statusCode).toBe(200);
    expect(calls).toEqual(['health']);
  });

  it.each([['POST', '/v1/images'], ['GET', '/v1/images'], ['GET', '/v1/images/abc'], ['POST', '/v1/uploads']])('%s %s without credentials is 401 and the binding never runs', async (method, path) => {
    const { router, calls } = setup();
    const result = await router.handle(request(method, path));
    expect([result.statusCode, problem(result).code]).toEqual([401, 'UNAUTHORIZED']);
    expect(calls).toEqual(['authenticate']);
  });
});

describe('the limiter is one step right after authentication', () => {
  /** Admits `allowed` customers; refuses others over the rate; records who asked. */
  function limiter(allowed: string[], calls: string[]): RequestLimiter {
    return {
      admit: (customerId) => {
        calls.push(`admit ${customerId}`);
        if (!allowed.includes(customerId)) throw new TooManyRequestsError('rate', 7, 'too many requests for this customer: retry in 7 s');
      },
    };
  }

  it('runs after authentication and before the binding, with the authenticated customer', async () => {
    const calls: string[] = [];
    const { router, calls: routed } = setup({}, limiter(['acme'], calls));
    const result = await router.handle(request('GET', '/v1/images', { 'x-customer': 'acme' }));
    expect(result.statusCode).toBe(200);
    expect(calls).toEqual(['admit acme']);
    expect(routed).toEqual(['authenticate', 'listImages']);
  });

  it('a refusal is 429 problem+json with Retry-After, and the binding never runs', async () => {
    const calls: string[] = [];
    const { router, calls: routed } = setup({}, limiter([], calls));
    const result = await router.handle(request('POST', '/v1/images', { 'x-customer': 'noisy' }));
    expect(result.statusCode).toBe(429);
    expect(result.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': '7' });
    expect(problem(result)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(routed).toEqual(['authenticate']);
  });

  it('is not asked for public routes nor for unauthenticated requests', async () => {
    const calls: string[] = [];
    const { router } = setup({}, limiter([], calls));
    expect((await router.handle(request('GET', '/healthz'))).statusCode).toBe(200);
    expect((await router.handle(request('GET', '/v1/images'))).statusCode).toBe(401);
    expect(calls).toEqual([]);
  });
});

describe('every failure goes through the one map', () => {
  it('a refusal thrown by a binding keeps its status and code', async () => {
    const { router } = setup({ listImages: { access: 'customer', handle: () => Promise.reject(new ForbiddenError('not yours')) } });
    const result = await router.handle(request('GET', '/v1/images', { 'x-customer': 'acme' }));
    expect(result.statusCode).toBe(403);
    expect(problem(result)).toEqual({ type: 'urn:image-pipeline:error:forbidden', title: 'Forbidden', status: 403, detail: 'not yours', code: 'FORBIDDEN' });
  });

  it('a bug in a binding is a generic 500 that names nothing internal', async () => {
    const { router } = setup({ createUpload: { access: 'customer', handle: () => Promise.reject(new TypeError('presigner is undefined')) } });
    const result = await router.handle(request('POST', '/v1/uploads', { 'x-customer': 'acme' }));
    expect(result.statusCode).toBe(500);
    expect(problem(result)).toMatchObject({ code: 'INTERNAL_ERROR', detail: 'an internal error occurred; quote request id req-1' });
    expect(result.body).not.toMatch(/presigner|TypeError/);
  });
});

describe('the gateway authorizer\'s customer (requestContext.authorizer.customerId)', () => {
  const auth = new GatewayAuthorizerAuthenticator();

  it('names the customer the authorizer attached', async () => {
    await expect(auth.authenticate({ headers: {}, authorizer: { principalId: 'acme', customerId: 'acme' } })).resolves.toBe('acme');
  });

  it.each([
    ['no authorizer context', undefined],
    ['a context without customerId', { principalId: 'acme' }],
    ['an empty customerId', { customerId: '' }],
    ['a customerId that is not a string', { customerId: 42 }],
  ])('%s is UnauthorizedError (the request did not come through the authorizer)', async (_name, authorizer) => {
    await expect(auth.authenticate({ headers: { authorization: 'Bearer ik_whatever' }, authorizer })).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
