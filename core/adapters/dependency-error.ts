import { DependencyError, PipelineError } from '../errors';

/**
 * Wraps an SDK failure as a retriable {@link DependencyError} naming the service and the
 * operation. Our own errors pass through unchanged; a TypeError (a bug) is rethrown as is.
 */
export function asDependencyError(service: string, operation: string, error: unknown): Error {
  if (error instanceof PipelineError || error instanceof TypeError || error instanceof RangeError) return error as Error;
  const name = (error as { name?: string }).name ?? 'Error';
  return new DependencyError(service, `${service} ${operation} failed: ${name}`, { cause: error });
}
