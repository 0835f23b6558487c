import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { CorsConfig } from '../core';
import { corsResponseHeaders, isBinaryMediaType, matchRoute } from '../ingest-api';

/** Room for multipart boundaries and part headers on top of the image limit. */
const ENVELOPE_BYTES = 64 * 1024;

/** Options of {@link startHttpAdapter}. */
export interface HttpAdapterOptions {
  host: string;
  port: number;
  /** Largest image accepted; bodies larger than this plus a multipart envelope are refused unread. */
  maxImageBytes: number;
  /** The API Gateway proxy handler to call. */
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
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
}

/** The local readiness route of {@link HttpAdapterOptions.readiness}. */
export const READINESS_PATH = '/readyz';

function problem(res: ServerResponse, status: number, title: string, detail: string, cors?: CorsConfig): void {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  const corsHeaders = cors === undefined ? {} : corsResponseHeaders(cors, res.req.headers.origin);
  res.writeHead(status, { 'Content-Type': 'application/problem+json', 'Content-Length': Buffer.byteLength(body), Connection: 'close', ...corsHeaders });
  res.end(body);
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
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer, stage: string, requestId: string): APIGatewayProxyEvent {
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
      authorizer: null,
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
  const server = createServer((req, res) => {
    void (async () => {
      if (options.readiness !== undefined && req.method === 'GET' && new URL(req.url ?? '/', 'http://localhost').pathname === READINESS_PATH) {
        const report = await options.readiness();
        const body = JSON.stringify(report);
        res.writeHead(report.ready ? 200 : 503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
        res.end(body);
        return;
      }
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) {
        problem(res, 413, 'Payload Too Large', `the body is ${declared} bytes; images are limited to ${options.maxImageBytes} bytes`, options.cors);
        req.destroy();
        return;
      }
      const body = await readBody(req, limit);
      if (body === undefined) {
        problem(res, 413, 'Payload Too Large', `the body is over ${limit} bytes; images are limited to ${options.maxImageBytes} bytes`, options.cors);
        req.destroy();
        return;
      }
      const result = await options.handler(toApiGatewayEvent(req, body, stage, randomUUID()));
      const payload = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
      const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}), 'Content-Length': payload.length };
      res.writeHead(result.statusCode, headers as Record<string, string>);
      res.end(payload);
    })().catch(() => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', 'the local adapter failed to handle the request', options.cors);
      else res.destroy();
    });
  });
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
