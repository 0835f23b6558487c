/**
 * The one way `ingest upload` and `ingest import` talk to the REST API: a connection failure reads
 * as one line naming the address that could not be reached, why in words, and what to check —
 * never Node's bare `fetch failed`.
 */
import { ConfigError } from '../../core';

/** Node's and undici's connection error codes, in words. */
const CONNECTION_PROBLEMS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the server closed the connection: is it an HTTP server?',
  EPROTO: 'TLS handshake failed: is it an https server?',
};

/** The error code behind a failed `fetch` (its `cause`, or the first of an AggregateError's errors). */
function connectionCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; errors?: { code?: unknown }[] } } | undefined)?.cause;
  const code = cause?.code ?? cause?.errors?.find((inner) => typeof inner.code === 'string')?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Sends one request with `fetch`; a connection failure becomes a {@link ConfigError} (exit 1: the
 * input was fine, the API was not there) naming `what` and its address.
 *
 * @throws ConfigError `cannot reach the API at http://127.0.0.1:3000 (ECONNREFUSED: connection refused: nothing listens there); …`
 * @example
 * const response = await requestApi(`${api}/v1/images`, { method: 'POST', body }, 'the API');
 */
export async function requestApi(url: string, init: RequestInit, what = 'the API'): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const code = connectionCode(error);
    const reason = code === undefined ? ((error as { cause?: Error }).cause?.message ?? (error as Error).message) : `${code}: ${CONNECTION_PROBLEMS[code] ?? 'connection failed'}`;
    const hint = what === 'the API' ? 'the stack and the API may not be running: start them with `ingest start` (or `make start`), or point --api at a running API' : 'is the stack running (`ingest start`)?';
    throw new ConfigError(`cannot reach ${what} at ${new URL(url).origin} (${reason}); ${hint}`, { cause: error });
  }
}
