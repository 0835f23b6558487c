import { isClockSkewCorrectedError, isRetryableByTrait, isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { DependencyError, DependencyRejectedError, PipelineError } from '../errors';

type SdkError = Parameters<typeof isThrottlingError>[0];

/**
 * Whether trying an SDK call again can succeed, by what the SDK says of the error (the same
 * classification its own retry strategy uses, `@smithy/core/retry`): the `$retryable` trait,
 * throttling codes, transient network errors, 5xx and clock skew are retriable. Any other error
 * the service answered (`$fault: 'client'`: validation, access denied, missing resource, an
 * item over 400 KB…) is permanent. An error without a service answer (connection refused,
 * timeout) is retriable.
 *
 * @example
 * isRetriableSdkError(error) // false for a DynamoDB ValidationException
 */
export function isRetriableSdkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const sdkError = error as SdkError;
  if (isRetryableByTrait(sdkError) || isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError) || isClockSkewCorrectedError(sdkError) === true) return true;
  const fault = (error as { $fault?: unknown }).$fault;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return !(fault === 'client' || (status !== undefined && status >= 400 && status < 500));
}

/**
 * What to call a failure in a message: a plain Error from the network layer by its errno code
 * (ECONNREFUSED, ETIMEDOUT), read from `code` or, when the error crossed a realm and the SDK's
 * retry middleware re-wrapped it as text ("AWS SDK error wrapper for Error: connect ECONNREFUSED
 * …"), from its message; anything else by its name. Never an address, a message or a stack.
 */
function failureName(error: unknown): string {
  const { name = 'Error', code, message = '' } = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; code?: unknown; message?: string };
  if (name !== 'Error') return name;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  // Node's system errors read "<syscall> <CODE> <address>", e.g. "connect ECONNREFUSED 127.0.0.1:8000".
  return /\b(?:connect|read|write|getaddrinfo|send|recv) (E[A-Z_]{3,})\b/.exec(message)?.[1] ?? name;
}

/**
 * Wraps an SDK failure naming the service and the operation: a retriable
 * {@link DependencyError} when the SDK says trying again can help, otherwise a
 * {@link DependencyRejectedError} that is not retried. Our own errors pass through unchanged;
 * a TypeError (a bug) is rethrown as is.
 */
export function asDependencyError(service: string, operation: string, error: unknown): Error {
  if (error instanceof PipelineError || error instanceof TypeError || error instanceof RangeError) return error as Error;
  const name = failureName(error);
  if (!isRetriableSdkError(error)) {
    return new DependencyRejectedError(service, `${service} refused ${operation.split(' ')[0]} (${name}); not retried`, { cause: error });
  }
  return new DependencyError(service, `${service} ${operation} failed: ${name}`, { cause: error });
}
