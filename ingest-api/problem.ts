import type { APIGatewayProxyResult } from 'aws-lambda';
import { ERROR_CODES, PipelineError, type ErrorCode } from '../core';

/** An HTTP-level refusal that is not a pipeline error (wrong method, bad body, forbidden customer). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, { status: number; title: string }>>> = {
  [ERROR_CODES.invalidParameter]: { status: 400, title: 'Bad Request' },
  [ERROR_CODES.unauthorized]: { status: 401, title: 'Unauthorized' },
  [ERROR_CODES.notFound]: { status: 404, title: 'Not Found' },
  [ERROR_CODES.idempotencyConflict]: { status: 409, title: 'Conflict' },
  [ERROR_CODES.imageTooLarge]: { status: 413, title: 'Payload Too Large' },
  [ERROR_CODES.unsupportedImage]: { status: 415, title: 'Unsupported Media Type' },
  [ERROR_CODES.undecodableImage]: { status: 422, title: 'Unprocessable Content' },
  [ERROR_CODES.tooManyPixels]: { status: 422, title: 'Unprocessable Content' },
  [ERROR_CODES.decodeBudget]: { status: 422, title: 'Unprocessable Content' },
  [ERROR_CODES.dependency]: { status: 503, title: 'Service Unavailable' },
  [ERROR_CODES.dependencyRejected]: { status: 500, title: 'Internal Server Error' },
  [ERROR_CODES.internal]: { status: 500, title: 'Internal Server Error' },
};

/**
 * Codes whose messages describe our infrastructure (service, operation, secret, SDK error
 * name): callers get a generic detail, the log keeps the specifics.
 */
export const INTERNAL_DETAIL_CODES: ReadonlySet<ErrorCode> = new Set([ERROR_CODES.dependency, ERROR_CODES.dependencyRejected, ERROR_CODES.internal]);

/** The detail a caller sees for an error of an {@link INTERNAL_DETAIL_CODES} code. */
export function genericDetail(code: ErrorCode, requestId: string): string {
  return code === ERROR_CODES.dependency
    ? `a service the API depends on is unavailable; retry later (request id ${requestId})`
    : `an internal error occurred; quote request id ${requestId}`;
}

/** The JSON body of an `application/problem+json` response (RFC 9457). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  imageId?: string;
}

/**
 * The one place errors become HTTP: status + `application/problem+json`. Messages of our own
 * errors are written for callers, except those naming our infrastructure (a dependency's
 * failure) which get a generic detail; anything else is a bug and becomes a plain 500 with no
 * detail from the error. `internal` says the log must keep the specifics.
 */
export function problemResponse(error: unknown, requestId: string): { response: APIGatewayProxyResult; internal: boolean } {
  let problem: Problem;
  let headers: Record<string, string> = {};
  let internal = false;
  if (error instanceof HttpError) {
    problem = { type: 'about:blank', title: error.title, status: error.status, detail: error.message };
    headers = error.headers;
  } else if (error instanceof PipelineError && STATUS_BY_CODE[error.code]) {
    const { status, title } = STATUS_BY_CODE[error.code] as { status: number; title: string };
    internal = INTERNAL_DETAIL_CODES.has(error.code);
    const detail = internal ? genericDetail(error.code, requestId) : error.message;
    problem = { type: `urn:image-pipeline:error:${error.code.toLowerCase()}`, title, status, detail, code: error.code, imageId: error.context.imageId };
    if (status === 503) headers = { 'Retry-After': '5' };
  } else {
    internal = true;
    problem = { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: `an internal error occurred; quote request id ${requestId}` };
  }
  return {
    internal,
    response: { statusCode: problem.status, headers: { 'Content-Type': 'application/problem+json', 'X-Request-Id': requestId, ...headers }, body: JSON.stringify(problem) },
  };
}

/** A JSON success response. */
export function jsonResponse(status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'Content-Type': 'application/json', 'X-Request-Id': requestId, ...headers }, body: JSON.stringify(body) };
}
