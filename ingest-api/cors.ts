import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ForbiddenError, newImageId, type CorsConfig } from '../core';
import { problemResponse } from './problem';
import { methodsForPath } from './routes';

/**
 * Request headers a page may send beyond the CORS-safelisted ones: the two ways to present an
 * API key, the idempotency key, the raw-body file name, and `Content-Type` (`image/*` and
 * `application/json` are not safelisted, so they need to be allowed explicitly).
 */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-File-Name'] as const;

/** Response headers a page may read beyond the safelisted ones (`Location` of a new image, `Retry-After` of a 503/429). */
export const CORS_EXPOSED_HEADERS = ['Location', 'Retry-After', 'X-Request-Id', 'Idempotent-Replayed'] as const;

/**
 * How long a browser may cache a preflight answer. Chromium caps it at 7200 s (Firefox at
 * 86400 s); one preflight per two hours keeps the extra Lambda invocations negligible.
 * @default 7200
 */
export const CORS_MAX_AGE_SECONDS = 7200;

/** Methods a presigned POST upload needs on the upload (raw) bucket. */
export const UPLOAD_BUCKET_CORS_METHODS = ['POST'] as const;

/** How long a browser may cache the bucket's preflight answer (S3's documented example value). */
export const UPLOAD_BUCKET_CORS_MAX_AGE_SECONDS = 3000;

/** One S3 bucket CORS rule, in the field names of S3's `PutBucketCors` API. */
export interface BucketCorsRule {
  AllowedMethods: string[];
  AllowedOrigins: string[];
  AllowedHeaders: string[];
  ExposeHeaders: string[];
  MaxAgeSeconds: number;
}

/**
 * The CORS rules of the bucket that takes presigned POST uploads: `POST` from the configured
 * origins. The local bootstrap and the CDKTF app both write exactly these, so the local stack
 * cannot hide a missing rule in AWS. No origins configured → no rule (S3 then refuses every
 * cross-origin request, which is what "CORS off" means).
 * @example
 * uploadBucketCorsRules({ allowedOrigins: ['https://app.example.com'], allowCredentials: false });
 */
export function uploadBucketCorsRules(cors: CorsConfig): BucketCorsRule[] {
  if (cors.allowedOrigins.length === 0) return [];
  return [
    {
      AllowedMethods: [...UPLOAD_BUCKET_CORS_METHODS],
      AllowedOrigins: [...cors.allowedOrigins],
      // The presigned form's fields travel in the body; `*` only spares pages a surprise if a
      // browser or proxy adds a header to the preflight.
      AllowedHeaders: ['*'],
      ExposeHeaders: ['ETag'],
      MaxAgeSeconds: UPLOAD_BUCKET_CORS_MAX_AGE_SECONDS,
    },
  ];
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name && value !== undefined) return value;
  return undefined;
}

/**
 * The `Access-Control-Allow-Origin` value for a request's `Origin`, or undefined when the
 * origin is not allowed (or the request is not cross-origin).
 */
export function allowedOriginFor(cors: CorsConfig, origin: string | undefined): string | undefined {
  if (origin === undefined || cors.allowedOrigins.length === 0) return undefined;
  if (cors.allowedOrigins[0] === '*') return cors.allowCredentials ? undefined : '*';
  const lower = origin.toLowerCase();
  return cors.allowedOrigins.some((allowed) => allowed.toLowerCase() === lower) ? origin : undefined;
}

/**
 * CORS headers for an actual (non-preflight) response. A refused origin gets only `Vary`: the
 * request is still answered (CORS is the browser's check, not access control), but no page of
 * that origin can read the answer.
 */
export function corsResponseHeaders(cors: CorsConfig, origin: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  // The answer depends on Origin unless every origin gets the same one: caches must key on it.
  if (cors.allowedOrigins[0] !== '*') headers.Vary = 'Origin';
  const allowed = allowedOriginFor(cors, origin);
  if (allowed === undefined) return headers;
  headers['Access-Control-Allow-Origin'] = allowed;
  headers['Access-Control-Expose-Headers'] = CORS_EXPOSED_HEADERS.join(', ');
  if (cors.allowCredentials) headers['Access-Control-Allow-Credentials'] = 'true';
  return headers;
}

/**
 * Answers an `OPTIONS` request on a route's path, or returns undefined for every other request.
 * A CORS preflight (`Origin` + `Access-Control-Request-Method`) from an allowed origin asking
 * for a served method and allowed headers gets 204 with the `Access-Control-Allow-*` headers;
 * anything else it asks for gets 403 with a problem saying what was refused. A plain `OPTIONS`
 * gets 204 with `Allow` (RFC 9110 §9.3.7).
 */
export function preflightResponse(cors: CorsConfig, event: APIGatewayProxyEvent): APIGatewayProxyResult | undefined {
  if (event.httpMethod !== 'OPTIONS') return undefined;
  const methods = methodsForPath(event.path);
  if (methods.length === 0) return undefined;
  const requestId = event.requestContext?.requestId ?? newImageId();
  const allow = [...methods, 'OPTIONS'].join(', ');
  const origin = header(event, 'origin');
  const requestedMethod = header(event, 'access-control-request-method');
  if (origin === undefined || requestedMethod === undefined) return { statusCode: 204, headers: { Allow: allow, 'X-Request-Id': requestId }, body: '' };

  const vary = { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const refuse = (detail: string): APIGatewayProxyResult => {
    const { response } = problemResponse(new ForbiddenError(detail), requestId);
    return { ...response, headers: { ...response.headers, ...vary } };
  };
  const allowedOrigin = allowedOriginFor(cors, origin);
  if (allowedOrigin === undefined) return refuse(`origin ${origin.slice(0, 200)} is not allowed to call this API`);
  if (!methods.includes(requestedMethod)) return refuse(`method ${requestedMethod.slice(0, 20)} is not served on ${event.path}; allowed: ${allow}`);
  const allowedHeaders = new Set(CORS_ALLOWED_HEADERS.map((h) => h.toLowerCase()));
  const requestedHeaders = (header(event, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0);
  const refused = requestedHeaders.filter((h) => !allowedHeaders.has(h));
  if (refused.length > 0) return refuse(`request header ${refused.join(', ').slice(0, 200)} is not allowed; allowed: ${CORS_ALLOWED_HEADERS.join(', ')}`);
  return {
    statusCode: 204,
    headers: {
      'Access-Control-Allow-Origin': allowedOrigin,
      'Access-Control-Allow-Methods': allow,
      'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(', '),
      'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
      ...(cors.allowCredentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
      ...vary,
      'X-Request-Id': requestId,
    },
    body: '',
  };
}

/** An API Gateway REST proxy handler. */
export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * Wraps the REST handler with the API's CORS rules: preflights are answered here (API Gateway
 * proxies `OPTIONS` to the same Lambda, so several origins can be allowed exactly, which a
 * MOCK integration's fixed headers cannot do) and every other response gets the headers of
 * {@link corsResponseHeaders}. The Lambda entry point and the local adapter both use it.
 * @example
 * export const handler = withCors(config.cors, (event) => api.handle(event));
 */
export function withCors(cors: CorsConfig, handler: ProxyHandler): ProxyHandler {
  return async (event) => {
    const preflight = preflightResponse(cors, event);
    if (preflight !== undefined) return preflight;
    const result = await handler(event);
    const added = corsResponseHeaders(cors, header(event, 'origin'));
    const headers: Record<string, string | number | boolean> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) {
      if (name.toLowerCase() === 'vary' && added.Vary !== undefined) added.Vary = `${String(value)}, ${added.Vary}`;
      else headers[name] = value;
    }
    return { ...result, headers: { ...headers, ...added } };
  };
}
