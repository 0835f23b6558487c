/**
 * The one way `ingest upload` and `ingest import` talk to the REST API: a connection failure reads
 * as one line naming the address that could not be reached, why in words, and what to check —
 * never Node's bare `fetch failed`; an answer that is not JSON (another server at that address)
 * reads as one line naming the address, the status and the start of what came back.
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
 * input was fine, the API was not there) naming `what` and its address. When `what` is the API,
 * an answer that is not JSON is one too (the ingest API answers JSON or problem+json, always).
 *
 * @throws ConfigError `cannot reach the API at http://127.0.0.1:3000 (ECONNREFUSED: connection refused: nothing listens there); …`,
 *   or `http://127.0.0.1:5000 is not the ingest API: POST /v1/images answered HTTP 404 (no content type) with an empty body; …`
 * @example
 * const response = await requestApi(`${api}/v1/images`, { method: 'POST', body }, 'the API');
 */
export async function requestApi(url: string, init: RequestInit, what = 'the API'): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const code = connectionCode(error);
    const reason = code === undefined ? ((error as { cause?: Error }).cause?.message ?? (error as Error).message) : `${code}: ${CONNECTION_PROBLEMS[code] ?? 'connection failed'}`;
    const hint = what === 'the API' ? 'the stack and the API may not be running: start them with `ingest start` (or `make start`), or point --api at a running API' : 'is the stack running (`ingest start`)?';
    throw new ConfigError(`cannot reach ${what} at ${new URL(url).origin} (${reason}); ${hint}`, { cause: error });
  }
  if (what === 'the API') await assertIngestApiAnswer(url, init, response);
  return response;
}

/** What the ingest API answers with: JSON, or RFC 9457 problem details (`application/problem+json`). */
const API_MEDIA_TYPE = /^application\/(?:problem\+)?json\s*(?:;|$)/i;
/** How much of a foreign body the message quotes. */
const QUOTED_BODY_CHARS = 80;

/**
 * Refuses an answer that cannot be the ingest API's: every answer of the API, success or problem,
 * is JSON, so anything else means `--api` points at another server (moto, a proxy's error page,
 * a 404 with an empty body) and printing that body would only puzzle.
 *
 * @throws ConfigError `http://127.0.0.1:5000 is not the ingest API: POST /v1/images answered HTTP 500 (text/html): "…"; …`
 */
async function assertIngestApiAnswer(url: string, init: RequestInit, response: Response): Promise<void> {
  const contentType = response.headers.get('content-type');
  if (contentType !== null && API_MEDIA_TYPE.test(contentType)) return;
  const body = (await response.text()).replace(/\s+/g, ' ').trim();
  const quoted = body === '' ? 'an empty body' : JSON.stringify(body.length > QUOTED_BODY_CHARS ? `${body.slice(0, QUOTED_BODY_CHARS)}…` : body);
  const { origin, pathname } = new URL(url);
  throw new ConfigError(
    `${origin} is not the ingest API: ${init.method ?? 'GET'} ${pathname} answered HTTP ${response.status} (${contentType ?? 'no content type'}) with ${quoted}; ` +
      'point --api at the ingest API (`ingest start` serves it on http://127.0.0.1:3000)',
  );
}

/**
 * The stderr line of a command that stopped waiting while the image was still RECEIVED (exit 1).
 *
 * @example
 * process.stderr.write(stillReceivedLine(record.imageId, 60));
 */
export function stillReceivedLine(imageId: string, waitedSeconds: number): string {
  return `error: image ${imageId} is still RECEIVED after ${waitedSeconds} s; check again with GET /v1/images/${imageId}\n`;
}
