/**
 * The one error → HTTP map (ingest-api/problem.ts): every class of the error hierarchy answers
 * its status, code and `urn:image-pipeline:error:*` type, and no body carries a stack, a class
 * name or (for internal codes) the message.
 */
import fc from 'fast-check';
import * as errors from '../../../core/errors';
import {
  AbandonedImageError,
  ConfigError,
  DecodeBudgetError,
  DependencyError,
  DependencyRejectedError,
  ERROR_CODES,
  ForbiddenError,
  ForbiddenSourceError,
  IdempotencyKeyReusedError,
  ImageTooLargeError,
  InvalidParameterError,
  MalformedRequestError,
  UrlNotAllowedError,
  InvalidUrlError,
  MethodNotAllowedError,
  NotFoundError,
  PipelineError,
  RequestHeadersTooLargeError,
  RequestTimeoutError,
  SchemaDecodeError,
  SourceFetchError,
  SourceNotFoundError,
  TooManyPixelsError,
  TooManyRequestsError,
  UnauthorizedError,
  UndecodableImageError,
  UnsupportedImageError,
  UnsupportedMediaTypeError,
  invalidParameterError,
} from '../../../core/errors';
import { HTTP_PROBLEMS, printableDetail, problemResponse, problemType } from '../../../ingest-api/problem';

/** One instance of every class, with the status and code it must answer. */
const CASES: [PipelineError, number, string][] = [
  [new PipelineError(ERROR_CODES.internal, 'root class with the internal code'), 500, 'INTERNAL_ERROR'],
  [new InvalidParameterError('Expected x for y but received z'), 400, 'INVALID_PARAMETER'],
  [new ConfigError('RAW_BUCKET must be set'), 500, 'INVALID_CONFIG'],
  [new UnsupportedImageError('not an image format the pipeline accepts'), 415, 'UNSUPPORTED_IMAGE'],
  [new UndecodableImageError('truncated JPEG'), 422, 'UNDECODABLE_IMAGE'],
  [new ImageTooLargeError(10, 'the body is 11 bytes; the limit is 10'), 413, 'IMAGE_TOO_LARGE'],
  [new TooManyPixelsError('too many pixels'), 422, 'TOO_MANY_PIXELS'],
  [new SchemaDecodeError('bad-magic', 'not single-object encoded'), 400, 'SCHEMA_DECODE'],
  [new ForbiddenSourceError('private address'), 422, 'FORBIDDEN_SOURCE'],
  [new SourceFetchError('HTTP 500 from source'), 422, 'SOURCE_FETCH_FAILED'],
  [new SourceNotFoundError('no such object'), 422, 'SOURCE_NOT_FOUND'],
  [new IdempotencyKeyReusedError('image x was first requested with other image bytes'), 422, 'IDEMPOTENCY_KEY_REUSED'],
  [new UnauthorizedError('the API key is not valid'), 401, 'UNAUTHORIZED'],
  [new NotFoundError('image x does not exist'), 404, 'NOT_FOUND'],
  [new DependencyError('DynamoDB', 'DynamoDB PutItem failed: TimeoutError'), 503, 'DEPENDENCY_UNAVAILABLE'],
  [new AbandonedImageError('raw bytes never arrived'), 500, 'ABANDONED'],
  [new DependencyRejectedError('S3', 'S3 refused PutObject (AccessDenied)'), 500, 'DEPENDENCY_REJECTED'],
  [new DecodeBudgetError(1e9, 'decoding would need 1 GB'), 422, 'DECODE_MEMORY_EXCEEDED'],
  [new ForbiddenError("an API key can only list its own customer's images"), 403, 'FORBIDDEN'],
  [new MethodNotAllowedError(['GET', 'POST'], 'DELETE is not allowed on /v1/images'), 405, 'METHOD_NOT_ALLOWED'],
  [new UnsupportedMediaTypeError('Content-Type must be image/*'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  [new MalformedRequestError('the multipart body is malformed'), 400, 'MALFORMED_REQUEST'],
  [new UrlNotAllowedError('the URL cannot be imported: scheme "ftp:" is not allowed (https only)'), 400, 'URL_NOT_ALLOWED'],
  [new InvalidUrlError('url contains a tab (U+0009) at position 20'), 400, 'INVALID_URL'],
  [new RequestHeadersTooLargeError(10240, 'the request line and headers are over 10240 bytes'), 431, 'REQUEST_HEADERS_TOO_LARGE'],
  [new RequestTimeoutError('the request was not received in time'), 408, 'REQUEST_TIMEOUT'],
  [new TooManyRequestsError('rate', 2, 'too many requests for this customer: retry in 2 s'), 429, 'RATE_LIMITED'],
];

const INTERNAL_CODES = new Set(['INTERNAL_ERROR', 'INVALID_CONFIG', 'DEPENDENCY_UNAVAILABLE', 'ABANDONED', 'DEPENDENCY_REJECTED']);

function body(response: { body: string }): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

describe('every error class answers its status and code', () => {
  it('the cases cover every class the hierarchy exports', () => {
    const exported = Object.values(errors).filter((value): value is typeof PipelineError => typeof value === 'function' && (value === PipelineError || value.prototype instanceof PipelineError));
    expect(exported.length).toBe(CASES.length);
    expect(new Set(CASES.map(([error]) => error.constructor.name))).toEqual(new Set(exported.map((c) => c.name)));
  });

  it('the map has a row, with a 4xx or 5xx status and a title, for every code', () => {
    const codes = Object.values(ERROR_CODES);
    expect(Object.keys(HTTP_PROBLEMS).sort()).toEqual([...codes].sort());
    for (const code of codes) expect([code, HTTP_PROBLEMS[code].status >= 400 && HTTP_PROBLEMS[code].status < 600, HTTP_PROBLEMS[code].title.length > 0]).toEqual([code, true, true]);
  });

  it.each(CASES.map(([error, status, code]) => [error.constructor.name, error, status, code] as const))('%s → %i %s', (_name, error, status, code) => {
    const { response, internal } = problemResponse(error, 'req-42');

    expect(response.statusCode).toBe(status);
    expect(response.headers?.['Content-Type']).toBe('application/problem+json');
    expect(response.headers?.['X-Request-Id']).toBe('req-42');
    expect(body(response)).toMatchObject({ type: `urn:image-pipeline:error:${code.toLowerCase()}`, status, code, title: HTTP_PROBLEMS[code as keyof typeof HTTP_PROBLEMS].title });
    expect(internal).toBe(INTERNAL_CODES.has(code));
    // Neither a stack nor the class's name; internal messages stay in the log.
    expect(response.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(response.body).not.toContain(error.constructor.name);
    expect(response.body).not.toContain('stack');
    if (internal) {
      expect(body(response).detail).not.toContain(error.message);
      expect(body(response).detail).toContain('req-42');
    } else {
      expect(body(response).detail).toBe(error.message);
    }
  });
});

describe('errors that are not ours', () => {
  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'secret-arn')")],
    ['a thrown string', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-keys'],
    ['undefined', undefined],
    ['an object posing as ours', { code: 'NOT_FOUND', message: 'internal table images-prod', name: 'NotFoundError' }],
  ])('%s is a generic 500 INTERNAL_ERROR that says nothing of it', (_name, thrown) => {
    const { response, internal } = problemResponse(thrown, 'req-7');
    expect(internal).toBe(true);
    expect(response.statusCode).toBe(500);
    expect(body(response)).toEqual({ type: problemType('INTERNAL_ERROR'), title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR', detail: 'an internal error occurred; quote request id req-7' });
  });
});

describe('headers the map adds', () => {
  it('503 says when to retry', () => {
    expect(problemResponse(new DependencyError('SNS', 'SNS Publish failed'), 'r').response.headers).toMatchObject({ 'Retry-After': '5' });
  });

  it.each([
    ['rate', 'RATE_LIMITED', 3],
    ['quota', 'QUOTA_EXCEEDED', 41_400],
  ] as const)('429 over the %s says %s and when to retry in whole seconds', (limit, code, seconds) => {
    const { response } = problemResponse(new TooManyRequestsError(limit, seconds, 'over the limit'), 'r');
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'Retry-After': String(seconds), 'Content-Type': 'application/problem+json' });
    expect(body(response)).toMatchObject({ status: 429, title: 'Too Many Requests', code, type: problemType(code) });
  });

  it('405 lists the allowed methods in Allow (RFC 9110 §15.5.6)', () => {
    expect(problemResponse(new MethodNotAllowedError(['GET', 'POST'], 'PUT is not allowed'), 'r').response.headers).toMatchObject({ Allow: 'GET, POST' });
  });

  it.each([
    ['a rejected image', new UnsupportedImageError('not an image', { context: { imageId: '0190a0b0-0000-7000-8000-000000000001' } })],
    ['an idempotency conflict', new IdempotencyKeyReusedError('already exists', { context: { imageId: '0190a0b0-0000-7000-8000-000000000002' } })],
  ])('a problem about an image (%s) names it in the body and in Location', (_name, error) => {
    const { response } = problemResponse(error, 'r');
    expect(body(response).imageId).toBe(error.context.imageId);
    expect(response.headers?.Location).toBe(`/v1/images/${error.context.imageId}`);
  });

  it('a problem about no image has neither', () => {
    const { response } = problemResponse(new NotFoundError('no route'), 'r');
    expect(body(response).imageId).toBeUndefined();
    expect(response.headers?.Location).toBeUndefined();
  });
});

describe('details never carry control characters', () => {
  it.each([
    ['ESC (a terminal colour sequence)', '\u001b[31mred', '\\u001b[31mred'],
    ['NUL and newline', 'a\u0000b\nc', 'a\\u0000b\\u000ac'],
    ['DEL', 'x\u007fy', 'x\\u007fy'],
    ['C1 NEL', 'x\u0085y', 'x\\u0085y'],
    ['U+2028 line separator', 'x\u2028y', 'x\\u2028y'],
    ['a right-to-left override', 'gpj.\u202eexe', 'gpj.\\u202eexe'],
  ])('%s is escaped', (_name, raw, shown) => {
    expect(printableDetail(raw)).toBe(shown);
  });

  it('keeps letters of every script as they are', () => {
    expect(printableDetail('写真 фото صورة 😀')).toBe('写真 фото صورة 😀');
  });

  it('cuts a detail over 1000 characters', () => {
    expect(printableDetail('a'.repeat(5000))).toBe(`${'a'.repeat(1000)}…`);
  });

  it.each([
    ['a forged cursor', '\u001b]0;pwned\u0007'],
    ['an Idempotency-Key', 'key\u0085with\u2028breaks'],
  ])('an invalid-parameter message echoing %s reaches the caller escaped', (_name, value) => {
    const { response } = problemResponse(invalidParameterError('cursor', 'a cursor returned by a previous page', value), 'r');
    const detail = body(response).detail as string;
    expect(detail).toMatch(/^Expected a cursor returned by a previous page for cursor but received /);
    expect(detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
  });
});

describe('any message, any code: a valid problem with a printable detail', () => {
  it('holds for random messages over every code (bounded runs)', () => {
    const codes = Object.values(ERROR_CODES);
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.string({ unit: 'binary', maxLength: 2000 }), (code, message) => {
        const { response } = problemResponse(new PipelineError(code, message), 'req-f');
        const problem = body(response) as { type: string; code: string; status: number; detail: string };
        expect([problem.code, problem.type, problem.status]).toEqual([code, problemType(code), response.statusCode]);
        expect(problem.detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        expect(problem.detail.length).toBeLessThanOrEqual(1001);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 10_000 },
    );
  });
});
