/**
 * "Is this a rejected image?" is decided once, by `isImageRejection` / `PipelineError.rejectsImage`
 * (and `isImageRejectionCode` for a stored code); the pipeline, the source resolver, the stream
 * and the REST path all ask it. Every class of the hierarchy is classified here.
 */
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
  isImageRejection,
  isImageRejectionCode,
  isRetriable,
} from '../../../core/errors';

/** One instance of every class of the hierarchy, and whether it rejects the image. */
const EVERY_CLASS: readonly [string, PipelineError, boolean][] = [
  ['UnsupportedImageError', new UnsupportedImageError('not an image'), true],
  ['UndecodableImageError', new UndecodableImageError('truncated'), true],
  ['ImageTooLargeError', new ImageTooLargeError(10, 'the image is 11 bytes; the limit is 10'), true],
  ['TooManyPixelsError', new TooManyPixelsError('too many pixels'), true],
  ['DecodeBudgetError', new DecodeBudgetError(1 << 30, 'over the decode budget'), true],
  ['ForbiddenSourceError', new ForbiddenSourceError('not an allowed source'), true],
  ['SourceFetchError', new SourceFetchError('HTTP 404'), true],
  ['SourceNotFoundError', new SourceNotFoundError('no such object'), true],
  ['PipelineError', new PipelineError(ERROR_CODES.internal, 'a bug'), false],
  ['InvalidParameterError', new InvalidParameterError('bad width'), false],
  ['ConfigError', new ConfigError('bad variable'), false],
  ['SchemaDecodeError', new SchemaDecodeError('bad-magic', 'not Avro'), false],
  ['IdempotencyKeyReusedError', new IdempotencyKeyReusedError('other bytes'), false],
  ['UnauthorizedError', new UnauthorizedError('no key'), false],
  ['NotFoundError', new NotFoundError('no record'), false],
  ['DependencyError', new DependencyError('S3', 'SlowDown'), false],
  ['AbandonedImageError', new AbandonedImageError('abandoned'), false],
  ['DependencyRejectedError', new DependencyRejectedError('S3', 'AccessDenied'), false],
  ['ForbiddenError', new ForbiddenError("another customer's images"), false],
  ['MethodNotAllowedError', new MethodNotAllowedError(['GET'], 'DELETE is not allowed'), false],
  ['UnsupportedMediaTypeError', new UnsupportedMediaTypeError('text/plain'), false],
  ['MalformedRequestError', new MalformedRequestError('not JSON'), false],
  // Refused at submission: nothing is recorded, so it is not an image rejection.
  ['UrlNotAllowedError', new UrlNotAllowedError('scheme "ftp:" is not allowed'), false],
  // Refused at the edge (REST 400, stream dead letter): nothing is recorded.
  ['InvalidUrlError', new InvalidUrlError('url contains a tab (U+0009) at position 20'), false],
  ['RequestHeadersTooLargeError', new RequestHeadersTooLargeError(10_240, 'headers over 10240 bytes'), false],
  ['RequestTimeoutError', new RequestTimeoutError('too slow'), false],
  ['TooManyRequestsError', new TooManyRequestsError('rate', 1, 'over the rate'), false],
];

describe('isImageRejection', () => {
  it('the table covers every error class core/errors.ts exports', () => {
    const exported = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && (value === PipelineError || (value as { prototype?: unknown }).prototype instanceof PipelineError))
      .map(([name]) => name)
      .sort();

    expect(exported.length).toBe(EVERY_CLASS.length);
    expect(EVERY_CLASS.map(([name]) => name).sort()).toEqual(exported);
    for (const [name, error] of EVERY_CLASS) expect(error.name).toBe(name);
  });

  it.each(EVERY_CLASS.map(([name, error, rejected]) => [name, rejected, error] as const))('%s: rejects the image = %s', (_name, rejected, error) => {
    expect(isImageRejection(error)).toBe(rejected);
    expect(error.rejectsImage).toBe(rejected);
    // The stored code answers the same as the error object (what the REST path reads from a FAILED record).
    expect(isImageRejectionCode(error.code)).toBe(rejected);
    // A rejection is never retried.
    if (rejected) expect(isRetriable(error)).toBe(false);
  });

  it('a rejection code raised as retriable is not a rejection: it is retried, not recorded', () => {
    const error = new SourceFetchError('connection reset', { retriable: true });

    expect(isImageRejection(error)).toBe(false);
    expect(isRetriable(error)).toBe(true);
  });

  it.each([
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a plain Error carrying a rejection code', Object.assign(new Error('x'), { code: ERROR_CODES.unsupportedImage })],
    ['a string', 'UNSUPPORTED_IMAGE'],
    ['undefined', undefined],
  ])('%s is not a rejection', (_name, value) => {
    expect(isImageRejection(value)).toBe(false);
  });

  it('isImageRejectionCode answers for every code, and for no code', () => {
    const rejected = Object.values(ERROR_CODES).filter((code) => isImageRejectionCode(code));

    expect(rejected.sort()).toEqual(
      [
        ERROR_CODES.unsupportedImage,
        ERROR_CODES.undecodableImage,
        ERROR_CODES.imageTooLarge,
        ERROR_CODES.tooManyPixels,
        ERROR_CODES.decodeBudget,
        ERROR_CODES.forbiddenSource,
        ERROR_CODES.sourceFetch,
        ERROR_CODES.sourceNotFound,
      ].sort(),
    );
    expect(isImageRejectionCode(undefined)).toBe(false);
    expect(isImageRejectionCode('SOMETHING_ELSE')).toBe(false);
  });
});
