/**
 * How `ingest` commands refuse their own input before doing anything: one error type the command
 * line turns into exit 2 (as for a usage error), one funnel ({@link refuseInput}) that turns the
 * project's own checks into it, and one reader per kind of option value that every command taking
 * that kind uses (`--timeout`, `--api`, `--key`, an import URL, an image file). Each refusal is one
 * line naming the option and the rule (`Expected … for --timeout but received "abc"`), never a
 * stack trace, a raw ENOENT or a bare `Invalid URL`.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Config } from '../../core/config';
import { HttpsImageFetcher } from '../../core/adapters/fetch';
import { DependencyRejectedError, ForbiddenSourceError, ImageTooLargeError, InvalidParameterError, PipelineError, UnauthorizedError, invalidParameterError } from '../../core/errors';
import { INPUT_BOUNDS, assertMaxBytes } from '../../core/input-bounds';

/**
 * Input a command refused before it sent anything (an option value, a file it cannot read, an
 * event or upload the pipeline would refuse). `ingest` prints `error: <message>` and exits 2.
 */
export class RefusedInputError extends InvalidParameterError {}

/** Whether `error` says the input itself is wrong: a non-retriable project error that is not a dependency's refusal or a failed sign-in. */
function isInputRefusal(error: unknown): error is PipelineError {
  return error instanceof PipelineError && !error.retriable && !(error instanceof DependencyRejectedError) && !(error instanceof UnauthorizedError);
}

function asRefusal(error: unknown, prefix: string): unknown {
  if (error instanceof RefusedInputError) return error;
  if (isInputRefusal(error)) return new RefusedInputError(`${prefix}${error.message}`, { cause: error, context: error.context });
  return error;
}

/**
 * Runs a command's checks of its own input: the one way every command refuses input. A
 * non-retriable {@link PipelineError} they throw (the checks the pipeline itself applies raise
 * those: `InvalidParameterError`, `ForbiddenSourceError`, `ImageTooLargeError`…) becomes a
 * {@link RefusedInputError} with the same message, after `prefix`; anything else (a dependency's
 * failure or refusal, a failed sign-in, a bug) passes through unchanged. A check that returns a
 * promise is awaited the same way.
 *
 * @throws RefusedInputError for refused input.
 * @example
 * const customerId = refuseInput(() => { assertCustomerIdBounds(value, '--customer'); return value; });
 */
export function refuseInput<T>(check: () => T, prefix = ''): T {
  let result: T;
  try {
    result = check();
  } catch (error) {
    throw asRefusal(error, prefix);
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw asRefusal(error, prefix);
    }) as T;
  }
  return result;
}

/** An option's value as `parseArgs` gives it: a string, `true` for a bare flag, or undefined. */
export type OptionValue = string | boolean | undefined;

/**
 * Longest `--timeout` any command accepts: an hour. Longer waits belong to a script polling
 * `GET /v1/images/{id}`, and a huge number (`1e9`) is a typo, not a wish.
 * @default 3600
 */
export const MAX_WAIT_SECONDS = 3600;

/**
 * Reads a wait in seconds (`--timeout`): a whole number from 1 to {@link MAX_WAIT_SECONDS}.
 * @throws RefusedInputError naming `option` (`abc`, `0`, `-5`, `1.5`, `99999` are refused).
 * @example
 * readWaitSeconds(values.timeout, 120); // 120 when the option is absent
 */
export function readWaitSeconds(value: OptionValue, fallback: number, option = '--timeout'): number {
  if (value === undefined) return fallback;
  return refuseInput(() => {
    const seconds = typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
    if (!(seconds >= 1 && seconds <= MAX_WAIT_SECONDS)) throw invalidParameterError(option, `a whole number of seconds from 1 to ${MAX_WAIT_SECONDS}`, value);
    return seconds;
  });
}

/**
 * Reads the REST API's base URL (`--api`): an absolute `http:` or `https:` URL, without user
 * name, password, query or fragment (a path is kept: API Gateway's stage, `…/prod`). Returns it
 * without a trailing slash, so `${api}/v1/images` is one path.
 * @throws RefusedInputError naming `option`.
 * @example
 * readApiUrl(values.api, 'http://127.0.0.1:3000'); // the default when --api is absent
 */
export function readApiUrl(value: OptionValue, fallback: string, option = '--api'): string {
  if (value === undefined) return fallback;
  return refuseInput(() => {
    const expected = 'an http or https URL without credentials, query or fragment (e.g. http://127.0.0.1:3000)';
    let url: URL;
    try {
      url = new URL(String(value));
    } catch {
      throw invalidParameterError(option, expected, value);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
      throw invalidParameterError(option, expected, value);
    }
    return url.href.replace(/\/+$/, '');
  });
}

/** RFC 6750 §2.1 `b64token`: what may follow `Authorization: Bearer ` (API keys `ik_…` and JWTs are such). */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads a credential sent as `Authorization: Bearer <key>` (`--key`): RFC 6750 §2.1's `b64token`
 * (letters, digits, `- . _ ~ + /`, then `=` padding), so a pasted space or line break is refused
 * here rather than read as "cannot reach the API". The value is never echoed.
 * @throws RefusedInputError naming `option`.
 */
export function readBearerKey(value: OptionValue, option = '--key'): string | undefined {
  if (value === undefined) return undefined;
  return refuseInput(() => {
    if (typeof value !== 'string' || !BEARER_TOKEN.test(value)) {
      throw new InvalidParameterError(`Expected an API key or ID token (RFC 6750 token characters: letters, digits, "-", ".", "_", "~", "+", "/", then "=") for ${option}; the value given has other characters or is empty`, { context: { parameter: option } });
    }
    return value;
  });
}

/**
 * Refuses a URL that `POST /v1/images` would refuse at submission, with the API's own rules: at
 * most 2048 UTF-8 bytes (`INPUT_BOUNDS.urlMaxBytes`), and the URL fetcher's admission check
 * (`HttpsImageFetcher#refusal` → `targetRefusal` → `assertFetchableUrl`, the call the API's
 * import use case makes): https only, no credentials, port 443 or one in `FETCH_ALLOWED_PORTS`,
 * no `localhost`, no literal IP the address policy forbids; with `FETCH_ALLOW_LOOPBACK=true`
 * plain http to loopback passes, as it does for the API. Built from this shell's `FETCH_*`
 * settings, as `ingest start` builds the API's fetcher from its own.
 * @throws RefusedInputError naming the URL and the reason (`not sent (the API would refuse this URL): …`).
 * @example
 * assertImportableUrl('https://10.0.0.7/cat.jpg', config); // throws: private (RFC 1918)
 */
export function assertImportableUrl(url: string, config: Pick<Config, 'fetch'>, parameter = '<url>'): void {
  refuseInput(() => {
    assertMaxBytes(url, INPUT_BOUNDS.urlMaxBytes, parameter);
    const refusal = HttpsImageFetcher.fromConfig(config).refusal(url);
    if (refusal !== undefined) throw new ForbiddenSourceError(refusal);
  }, 'not sent (the API would refuse this URL): ');
}

/** What {@link readImageFile} checks a file's size against. */
export interface ImageFileLimit {
  /** Largest accepted size, in bytes. */
  maxBytes: number;
  /** What the limit is and what to do instead, e.g. `the 10 MiB image limit`. */
  describe: (size: number) => string;
}

/** One line for a file system error on `path`, naming the path and what is wrong in words. */
function fileProblem(path: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return `no such file: ${path}`;
    case 'ENOTDIR':
      return `no such file: ${path} (a part of the path is not a directory)`;
    case 'EISDIR':
      return `${path} is a directory; name an image file`;
    case 'EACCES':
    case 'EPERM':
      return `cannot read ${path}: permission denied`;
    case 'ENAMETOOLONG':
      return `cannot read ${path}: the path is too long`;
    case 'ELOOP':
      return `cannot read ${path}: too many symbolic links`;
    default:
      return `cannot read ${path} (${error.code ?? 'error'})`;
  }
}

/**
 * Reads an image file named on the command line: a regular file, readable, not empty, no larger
 * than `limit.maxBytes` (checked from its size before reading, and again after).
 *
 * @throws RefusedInputError naming the path and the problem in one line (missing, a directory,
 *   unreadable, empty, over the limit).
 * @example
 * const bytes = readImageFile('photo.jpg', { maxBytes: config.limits.maxImageBytes, describe: () => 'the image limit' });
 */
export function readImageFile(path: string, limit: ImageFileLimit): Buffer {
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new RefusedInputError(`${path} is a directory; name an image file`);
    if (!stat.isFile()) throw new RefusedInputError(`${path} is not a regular file`);
    if (stat.size > limit.maxBytes) throw tooLarge(path, stat.size, limit);
    if (stat.size === 0) throw empty(path);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof RefusedInputError) throw error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === undefined) throw error;
    throw new RefusedInputError(fileProblem(path, error as NodeJS.ErrnoException), { cause: error });
  }
  // The file may have grown between the size check and the read.
  if (bytes.length > limit.maxBytes) throw tooLarge(path, bytes.length, limit);
  if (bytes.length === 0) throw empty(path);
  return bytes;
}

/** An empty file is no image: the API would answer 400 (no image bytes), the consumer a FAILED record. */
function empty(path: string): RefusedInputError {
  return new RefusedInputError(`${path} is empty (0 bytes); name an image file`);
}

function tooLarge(path: string, size: number, limit: ImageFileLimit): RefusedInputError {
  const cause = new ImageTooLargeError(limit.maxBytes, `${path} is ${size} bytes`);
  return new RefusedInputError(`${path} is ${size.toLocaleString('en')} bytes, over ${limit.describe(size)}`, { cause });
}
