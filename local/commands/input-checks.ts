/**
 * How `ingest` commands refuse their own input before doing anything: one error type the command
 * line turns into exit 2 (as for a usage error), and the one reader of image files named on the
 * command line, whose failures read as one line each instead of a raw ENOENT/EISDIR.
 */
import { readFileSync, statSync } from 'node:fs';
import { ImageTooLargeError, InvalidParameterError, PipelineError } from '../../core/errors';

/**
 * Input a command refused before it sent anything (an option value, a file it cannot read, an
 * event or upload the pipeline would refuse). `ingest` prints `error: <message>` and exits 2.
 */
export class RefusedInputError extends InvalidParameterError {}

/**
 * Runs a command's checks of its own input. A non-retriable {@link PipelineError} they throw (the
 * checks the pipeline itself applies raise those) becomes a {@link RefusedInputError} with the same
 * message, after `prefix`; anything else passes through unchanged.
 *
 * @throws RefusedInputError for refused input.
 * @example
 * const customerId = refuseInput(() => { assertCustomerIdBounds(value, '--customer'); return value; });
 */
export function refuseInput<T>(check: () => T, prefix = ''): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof RefusedInputError) throw error;
    if (error instanceof PipelineError && !error.retriable) throw new RefusedInputError(`${prefix}${error.message}`, { cause: error, context: error.context });
    throw error;
  }
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
 * Reads an image file named on the command line: a regular file, readable, no larger than
 * `limit.maxBytes` (checked from its size before reading, and again after).
 *
 * @throws RefusedInputError naming the path and the problem in one line (missing, a directory,
 *   unreadable, over the limit).
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
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof RefusedInputError) throw error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === undefined) throw error;
    throw new RefusedInputError(fileProblem(path, error as NodeJS.ErrnoException), { cause: error });
  }
  // The file may have grown between the size check and the read.
  if (bytes.length > limit.maxBytes) throw tooLarge(path, bytes.length, limit);
  return bytes;
}

function tooLarge(path: string, size: number, limit: ImageFileLimit): RefusedInputError {
  const cause = new ImageTooLargeError(limit.maxBytes, `${path} is ${size} bytes`);
  return new RefusedInputError(`${path} is ${size.toLocaleString('en')} bytes, over ${limit.describe(size)}`, { cause });
}
