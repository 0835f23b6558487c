/**
 * The one place errors become HTTP. Every refusal of the REST surface — the router's 404/405,
 * authentication's 401, the limiter's 429, a use case's 400/403/409/413/415/422, a dependency's 503, the local
 * adapter's 413/431/400/408/500 — goes through {@link problemResponse}, so each answers
 * `application/problem+json` (RFC 9457) with a `urn:image-pipeline:error:*` type and a `code`.
 *
 * Keyed by error code rather than by class (Powertools' `ErrorHandlerRegistry` resolves by
 * constructor): every class of the hierarchy in `core/errors.ts` fixes its code, and
 * {@link HTTP_PROBLEMS} is a total `Record<ErrorCode, …>`, so a new code does not compile until it
 * has a row here.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ERROR_CODES, MethodNotAllowedError, PipelineError, TooManyRequestsError, type ErrorCode } from '../core';
import { imagePath } from './routes';

/** How one error code answers over HTTP. */
export interface HttpProblemSpec {
  /** HTTP status code. */
  status: number;
  /** The status's reason phrase (RFC 9110 §15), the problem's `title`. */
  title: string;
  /**
   * `internal`: the message names our infrastructure (service, operation, secret, SDK error),
   * so callers get a generic detail quoting the request id and the log keeps the specifics.
   * `caller`: the message was written for the caller.
   */
  detail: 'caller' | 'internal';
}

const BAD_REQUEST = { status: 400, title: 'Bad Request', detail: 'caller' } as const;
const UNPROCESSABLE = { status: 422, title: 'Unprocessable Content', detail: 'caller' } as const;
const TOO_MANY_REQUESTS = { status: 429, title: 'Too Many Requests', detail: 'caller' } as const;
const INTERNAL = { status: 500, title: 'Internal Server Error', detail: 'internal' } as const;

/**
 * Status and title of every error code. Codes only the stream path raises (schema decoding,
 * image references) have rows too, so nothing can fall through to a bare 500.
 */
export const HTTP_PROBLEMS: Readonly<Record<ErrorCode, HttpProblemSpec>> = {
  [ERROR_CODES.invalidParameter]: BAD_REQUEST,
  [ERROR_CODES.malformedRequest]: BAD_REQUEST,
  [ERROR_CODES.urlNotAllowed]: BAD_REQUEST,
  [ERROR_CODES.invalidUrl]: BAD_REQUEST,
  [ERROR_CODES.schemaDecode]: BAD_REQUEST,
  [ERROR_CODES.unknownSchema]: BAD_REQUEST,
  [ERROR_CODES.unauthorized]: { status: 401, title: 'Unauthorized', detail: 'caller' },
  [ERROR_CODES.forbidden]: { status: 403, title: 'Forbidden', detail: 'caller' },
  [ERROR_CODES.notFound]: { status: 404, title: 'Not Found', detail: 'caller' },
  [ERROR_CODES.methodNotAllowed]: { status: 405, title: 'Method Not Allowed', detail: 'caller' },
  [ERROR_CODES.requestTimeout]: { status: 408, title: 'Request Timeout', detail: 'caller' },
  // RFC 9110 renamed 413 "Content Too Large"; the older phrase is kept because clients show it.
  [ERROR_CODES.imageTooLarge]: { status: 413, title: 'Payload Too Large', detail: 'caller' },
  [ERROR_CODES.unsupportedMediaType]: { status: 415, title: 'Unsupported Media Type', detail: 'caller' },
  [ERROR_CODES.unsupportedImage]: { status: 415, title: 'Unsupported Media Type', detail: 'caller' },
  [ERROR_CODES.undecodableImage]: UNPROCESSABLE,
  [ERROR_CODES.tooManyPixels]: UNPROCESSABLE,
  [ERROR_CODES.decodeBudget]: UNPROCESSABLE,
  // draft-ietf-httpapi-idempotency-key-header §2.7: a key reused with a different payload is 422.
  [ERROR_CODES.idempotencyKeyReused]: UNPROCESSABLE,
  [ERROR_CODES.forbiddenSource]: UNPROCESSABLE,
  [ERROR_CODES.sourceFetch]: UNPROCESSABLE,
  [ERROR_CODES.sourceNotFound]: UNPROCESSABLE,
  // RFC 6585 §4; `Retry-After` from the error (docs/limits.md).
  [ERROR_CODES.rateLimited]: TOO_MANY_REQUESTS,
  [ERROR_CODES.quotaExceeded]: TOO_MANY_REQUESTS,
  [ERROR_CODES.requestHeadersTooLarge]: { status: 431, title: 'Request Header Fields Too Large', detail: 'caller' },
  [ERROR_CODES.dependency]: { status: 503, title: 'Service Unavailable', detail: 'internal' },
  [ERROR_CODES.dependencyRejected]: INTERNAL,
  [ERROR_CODES.abandoned]: INTERNAL,
  [ERROR_CODES.invalidConfig]: INTERNAL,
  [ERROR_CODES.internal]: INTERNAL,
};

/**
 * Seconds a client should wait before retrying a 503 (`Retry-After`).
 * @default 5
 */
export const RETRY_AFTER_SECONDS = 5;

/** Longest `detail` sent; our messages are far shorter, so only an echoed input can reach it. */
const DETAIL_MAX_CHARS = 1000;

/** The `type` URI of a problem with this code, e.g. `urn:image-pipeline:error:not_found`. */
export function problemType(code: ErrorCode): string {
  return `urn:image-pipeline:error:${code.toLowerCase()}`;
}

/** The detail a caller sees for an error whose spec says `internal`. */
export function genericDetail(code: ErrorCode, requestId: string): string {
  return code === ERROR_CODES.dependency
    ? `a service the API depends on is unavailable; retry later (request id ${requestId})`
    : `an internal error occurred; quote request id ${requestId}`;
}

// C0 controls, DEL, C1 controls, the Unicode line/paragraph separators and the bidirectional
// formatting characters: none may reach a caller's terminal or log viewer raw.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A message made safe to show: control and bidi-formatting characters (which an echoed cursor,
 * header or path may carry) become visible `\uXXXX` escapes, and the text is cut at 1000
 * characters.
 * @example
 * printableDetail('bad cursor "\u001b[31m"') // 'bad cursor "\\u001b[31m"'
 */
export function printableDetail(message: string): string {
  const escaped = message.replace(UNSAFE_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > DETAIL_MAX_CHARS ? `${escaped.slice(0, DETAIL_MAX_CHARS)}…` : escaped;
}

/** The JSON body of an `application/problem+json` response (RFC 9457). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** One of the project's error codes (`ERROR_CODES`). */
  code: ErrorCode;
  /** The image the problem is about, when there is one (a FAILED record, an idempotency conflict). */
  imageId?: string;
}

/** The problem, extra headers and whether it hides an internal message, for one error. */
export function toProblem(error: unknown, requestId: string): { problem: Problem; headers: Record<string, string>; internal: boolean } {
  const spec = error instanceof PipelineError ? HTTP_PROBLEMS[error.code] : undefined;
  if (!(error instanceof PipelineError) || spec === undefined) {
    // Not one of ours: a bug. Nothing of it reaches the caller.
    const { status, title } = INTERNAL;
    return { problem: { type: problemType(ERROR_CODES.internal), title, status, detail: genericDetail(ERROR_CODES.internal, requestId), code: ERROR_CODES.internal }, headers: {}, internal: true };
  }
  const internal = spec.detail === 'internal';
  const imageId = error.context.imageId;
  const problem: Problem = {
    type: problemType(error.code),
    title: spec.title,
    status: spec.status,
    detail: internal ? genericDetail(error.code, requestId) : printableDetail(error.message),
    code: error.code,
    ...(imageId === undefined ? {} : { imageId }),
  };
  const headers: Record<string, string> = {};
  // The record the problem is about (a FAILED image keeps its raw bytes; a conflict names the existing one).
  if (imageId !== undefined) headers.Location = imagePath(imageId);
  if (spec.status === 503) headers['Retry-After'] = String(RETRY_AFTER_SECONDS);
  if (error instanceof TooManyRequestsError) headers['Retry-After'] = String(error.retryAfterSeconds);
  if (error instanceof MethodNotAllowedError) headers.Allow = error.allowedMethods.join(', ');
  return { problem, headers, internal };
}

/**
 * The HTTP answer to an error: status + `application/problem+json` with `X-Request-Id`.
 * `internal` says the log must keep the specifics (the caller saw a generic detail).
 * @example
 * const { response } = problemResponse(new NotFoundError('image x does not exist'), requestId);
 */
export function problemResponse(error: unknown, requestId: string): { response: APIGatewayProxyResult; internal: boolean } {
  const { problem, headers, internal } = toProblem(error, requestId);
  return {
    internal,
    response: { statusCode: problem.status, headers: { 'Content-Type': 'application/problem+json', 'X-Request-Id': requestId, ...headers }, body: JSON.stringify(problem) },
  };
}

/** A JSON success response with `X-Request-Id`. */
export function jsonResponse(status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'Content-Type': 'application/json', 'X-Request-Id': requestId, ...headers }, body: JSON.stringify(body) };
}
