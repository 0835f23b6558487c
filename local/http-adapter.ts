import { randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { authorize, authorizerDependencies } from '../authorizer';
import { ImageTooLargeError, MalformedRequestError, RequestHeadersTooLargeError, RequestTimeoutError, type Config, type CorsConfig, type SecretStore } from '../core';
import { corsResponseHeaders, isBinaryMediaType, matchRoute, problemResponse } from '../ingest-api';

/** Room for multipart boundaries and part headers on top of the image limit. */
const ENVELOPE_BYTES = 64 * 1024;

/**
 * API Gateway's limit on a REST request's line and headers together: 10,240 bytes (Amazon API
 * Gateway quotas for configuring and running a REST API, "Total combined size of request line and
 * header values"). The adapter refuses more with a 431, as Node would, but with a problem body.
 */
export const API_GATEWAY_MAX_HEADER_BYTES = 10_240;

/**
 * The adapter's stand-in for the API's Lambda REQUEST authorizer: the same `authorize` code, its
 * answers reused per `Authorization` value for the gateway's result TTL.
 */
export interface AdapterAuthorizer {
  /**
   * The customer behind the request's credential.
   * @throws UnauthorizedError (answered 401 problem+json), DependencyError (503).
   */
  authorize(headers: Readonly<Record<string, string | undefined>>): Promise<{ customerId: string }>;
  /** Seconds an answer is reused for the same `Authorization` value; 0 turns the cache off. */
  cacheTtlSeconds: number;
}

/**
 * The authorizer `ingest start` and the tests put in front of the API: API keys from the key
 * secret and, when config names a user pool, its ID tokens; cached for `config.auth.cacheTtlSeconds`,
 * as the CDKTF app sets the gateway's result TTL.
 * @example
 * startHttpAdapter({ ..., authorizer: gatewayAuthorizer(config, runtime.secrets) });
 */
export function gatewayAuthorizer(config: Config, secrets: SecretStore): AdapterAuthorizer {
  const dependencies = authorizerDependencies(config, secrets);
  return { authorize: (headers) => authorize(headers, dependencies), cacheTtlSeconds: config.auth.cacheTtlSeconds };
}

/** Answers kept at most, like a bounded gateway cache; the oldest goes first. */
const AUTHORIZER_CACHE_ENTRIES = 10_000;

/** {@link AdapterAuthorizer} with API Gateway's cache: successes only, keyed by the identity source (the Authorization header). */
function cachedAuthorizer(authorizer: AdapterAuthorizer, now: () => number = Date.now): (headers: Record<string, string>) => Promise<{ customerId: string }> {
  const cache = new Map<string, { customerId: string; expires: number }>();
  return async (headers) => {
    const identity = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    const hit = identity === undefined ? undefined : cache.get(identity);
    if (hit !== undefined && hit.expires > now()) return { customerId: hit.customerId };
    const { customerId } = await authorizer.authorize(headers);
    if (identity !== undefined && authorizer.cacheTtlSeconds > 0) {
      cache.delete(identity);
      if (cache.size >= AUTHORIZER_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(identity, { customerId, expires: now() + authorizer.cacheTtlSeconds * 1000 });
    }
    return { customerId };
  };
}

/** True for the methods that have the gateway's authorizer: every `/v1` route but CORS preflights (CDKTF api.ts). */
function hasAuthorizer(method: string, path: string): boolean {
  if (method === 'OPTIONS') return false;
  const matched = matchRoute(method, path);
  return matched !== undefined && 'route' in matched && matched.route.resource.startsWith('/v1/');
}

/** Options of {@link startHttpAdapter}. */
export interface HttpAdapterOptions {
  host: string;
  port: number;
  /** Largest image accepted; bodies larger than this plus a multipart envelope are refused unread. */
  maxImageBytes: number;
  /** The API Gateway proxy handler to call. */
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  /**
   * Runs before the handler on every `/v1` route, as the API's REQUEST authorizer does; its
   * customer id goes to the handler as `requestContext.authorizer.customerId`, and a refusal is
   * answered here (problem+json 401, the stand-in for the UNAUTHORIZED gateway response).
   * See {@link gatewayAuthorizer}.
   */
  authorizer: AdapterAuthorizer;
  /** Stage name in the events, as API Gateway sets it. @default 'local' */
  stage?: string;
  /**
   * Answers `GET /readyz` here, beside the API (API Gateway has no such route): 200 when the
   * report says `ready`, else 503, with the report as JSON — e.g. the stream runner's state and lag.
   * @default none (`/readyz` goes to the handler like any other path)
   */
  readiness?: () => Promise<{ ready: boolean }>;
  /**
   * CORS rules for the adapter's own refusals (413, 500), the stand-in for API Gateway's
   * gateway responses; the handler answers preflights and adds the headers to its own responses.
   * @default no CORS headers
   */
  cors?: CorsConfig;
  /**
   * Largest request line + headers accepted (Node's `maxHeaderSize`); more is refused with a
   * problem+json 431.
   * @default API_GATEWAY_MAX_HEADER_BYTES (10,240, API Gateway's own limit)
   */
  maxHeaderBytes?: number;
}

/** The local readiness route of {@link HttpAdapterOptions.readiness}. */
export const READINESS_PATH = '/readyz';

/** Answers a refusal of the adapter itself (the stand-in for an API Gateway gateway response) through the API's one error map. */
function refuse(res: ServerResponse, error: unknown, cors?: CorsConfig): void {
  const { response } = problemResponse(error, randomUUID());
  const corsHeaders = cors === undefined ? {} : corsResponseHeaders(cors, res.req.headers.origin);
  res.writeHead(response.statusCode, { ...response.headers, 'Content-Length': Buffer.byteLength(response.body), Connection: 'close', ...corsHeaders } as Record<string, string | number>);
  res.end(response.body);
}

/**
 * The refusal for a request Node could not parse (its `clientError` event), with the statuses
 * Node itself would send: 431 for headers over the limit, 408 for a request not received in
 * time, 400 for anything else malformed.
 */
export function clientErrorRefusal(error: NodeJS.ErrnoException, maxHeaderBytes: number): Error {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new RequestHeadersTooLargeError(maxHeaderBytes, `the request line and headers are over ${maxHeaderBytes} bytes`);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError('the request was not received in time');
    default:
      return new MalformedRequestError('the request is not valid HTTP/1.1');
  }
}

/** Writes a problem answer on a socket Node's HTTP parser gave up on, then closes it. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, maxHeaderBytes: number): void {
  // A reset connection, or one whose response has begun (Node's own handler checks the same), can take nothing more.
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true) {
    socket.destroy();
    return;
  }
  const { response } = problemResponse(clientErrorRefusal(error, maxHeaderBytes), randomUUID());
  const headers = { ...response.headers, 'Content-Length': String(Buffer.byteLength(response.body)), Connection: 'close' };
  const head = [`HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`)].join('\r\n');
  socket.end(`${head}\r\n\r\n${response.body}`);
}

/** Reads the body, refusing (without buffering the rest) once it passes `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Builds the API Gateway REST proxy event API Gateway would send for this request. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  stage: string,
  requestId: string,
  authorizer: APIGatewayProxyEvent['requestContext']['authorizer'] = null,
): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const matched = matchRoute(method, url.pathname);
  const route = matched && 'route' in matched ? matched : undefined;
  const binary = isBinaryMediaType(req.headers['content-type']);
  const now = new Date();
  return {
    resource: route?.route.resource ?? url.pathname,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
    pathParameters: route && Object.keys(route.pathParameters).length > 0 ? route.pathParameters : null,
    stageVariables: null,
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body.length > 0 && binary,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/${stage}${url.pathname}`,
      stage,
      requestId,
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: route?.route.resource ?? url.pathname,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

/**
 * The local stand-in for API Gateway: real HTTP in, the exact REST proxy event to the same
 * handler, its result back out as HTTP.
 */
export async function startHttpAdapter(options: HttpAdapterOptions): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  const stage = options.stage ?? 'local';
  const limit = options.maxImageBytes + ENVELOPE_BYTES;
  const maxHeaderBytes = options.maxHeaderBytes ?? API_GATEWAY_MAX_HEADER_BYTES;
  const authorizeRequest = cachedAuthorizer(options.authorizer);
  const server = createServer({ maxHeaderSize: maxHeaderBytes }, (req, res) => {
    void (async () => {
      if (options.readiness !== undefined && req.method === 'GET' && new URL(req.url ?? '/', 'http://localhost').pathname === READINESS_PATH) {
        const report = await options.readiness();
        const body = JSON.stringify(report);
        res.writeHead(report.ready ? 200 : 503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
        res.end(body);
        return;
      }
      // API Gateway runs the authorizer before it reads the body into the integration request.
      const method = req.method ?? 'GET';
      let context: APIGatewayProxyEvent['requestContext']['authorizer'] = null;
      if (hasAuthorizer(method, new URL(req.url ?? '/', 'http://localhost').pathname)) {
        const headers: Record<string, string> = {};
        for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i] as string] = req.rawHeaders[i + 1] as string;
        try {
          const { customerId } = await authorizeRequest(headers);
          // What API Gateway passes on from a Lambda authorizer: principalId and the context's keys.
          context = { principalId: customerId, customerId, integrationLatency: 0 };
        } catch (error) {
          refuse(res, error, options.cors);
          req.resume();
          return;
        }
      }
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) {
        refuse(res, new ImageTooLargeError(options.maxImageBytes, `the body is ${declared} bytes; images are limited to ${options.maxImageBytes} bytes`), options.cors);
        req.destroy();
        return;
      }
      const body = await readBody(req, limit);
      if (body === undefined) {
        refuse(res, new ImageTooLargeError(options.maxImageBytes, `the body is over ${limit} bytes; images are limited to ${options.maxImageBytes} bytes`), options.cors);
        req.destroy();
        return;
      }
      const result = await options.handler(toApiGatewayEvent(req, body, stage, randomUUID(), context));
      const payload = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
      const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}), 'Content-Length': payload.length };
      res.writeHead(result.statusCode, headers as Record<string, string>);
      res.end(payload);
    })().catch((error: unknown) => {
      // Not one of ours (the handler never throws): the map answers a generic 500.
      if (!res.headersSent) refuse(res, error, options.cors);
      else res.destroy();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, maxHeaderBytes));
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${options.port} on ${options.host} (REST API) is already in use; set API_PORT to use another port`) : error),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as { port: number };
  return {
    server,
    url: `http://${options.host}:${address.port}`,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
