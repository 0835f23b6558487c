import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  ForbiddenSourceError,
  ImageTooLargeError,
  PipelineError,
  SourceFetchError,
  invalidParameterError,
  type ErrorContext,
} from '../../errors';
import { MAX_IMAGE_BYTES } from '../../constants';
import { canonicalSourceUrl } from '../../source-url';
import { backoffDelayMs } from '../../retry';
import { sleep as realSleep } from './backoff';
import { RefusedAddressError, createGuardedLookup, refusalFor, systemResolve, type ResolveHostname, type TargetPolicy } from './guarded-lookup';

/** 10 MiB: the pipeline's image size limit, and the default cap of {@link fetchImage}. */
export const DEFAULT_MAX_FETCH_BYTES = MAX_IMAGE_BYTES;

/** Options of {@link fetchImage}. Every field is optional. */
export interface FetchImageOptions {
  /**
   * Largest body accepted, in bytes. Enforced from `Content-Length` before reading and again
   * while streaming, so an oversized body is cut off as soon as it passes the cap.
   * @default 10 MiB (10_485_760)
   */
  maxBytes?: number;
  /**
   * Wall-clock limit of one attempt — the whole redirect chain of that attempt, from DNS to
   * the last body byte. An attempt that runs out is retried (if attempts and deadline remain).
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Wall-clock limit of the whole call: all attempts, redirects and backoff sleeps. Not
   * retried. This is what cuts off a server that trickles one byte a second.
   * @default 30_000
   */
  deadlineMs?: number;
  /**
   * Attempts in total (1 = no retry). Only connection failures, timeouts, HTTP 5xx and 429
   * are retried; each attempt starts again from the original URL.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Redirects followed per attempt; one more is a {@link SourceFetchError}. Every hop is
   * re-checked (scheme and address) before anything is sent to it.
   * @default 3
   */
  maxRedirects?: number;
  /**
   * The "local tests only" switch: allows plain loopback targets (127.0.0.0/8, ::1) and, for
   * those targets only, plain `http:`. Every other non-public range stays forbidden. Exists so
   * tests and the laptop stack can serve images from an HTTP server on 127.0.0.1 without TLS;
   * production config leaves it off.
   * @default false
   */
  allowLoopback?: boolean;
  /**
   * Ports fetched besides the scheme's own (443 for `https:`, and 80 for `http:` where plain
   * HTTP is allowed at all, i.e. loopback with {@link allowLoopback}). Every hop is checked, so a
   * redirect cannot reach another port either. From `FETCH_ALLOWED_PORTS`.
   * @default []
   */
  allowedPorts?: readonly number[];
  /**
   * First retry's backoff step, doubled per retry and jittered (`backoffDelayMs`, core/retry.ts).
   * @default 200
   */
  retryBaseDelayMs?: number;
  /**
   * Cap on one backoff step.
   * @default 2_000
   */
  retryMaxDelayMs?: number;
  /**
   * Resolver used inside every connection's lookup. Tests inject one to play a rebinding DNS
   * server; every address it returns is still vetted.
   * @default the system resolver (`dns.lookup`, all addresses)
   */
  lookup?: ResolveHostname;
  /**
   * How to wait between attempts. Tests inject one to observe or skip the backoff.
   * @default a `setTimeout` based sleep
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Copied onto every error raised, e.g. `{ eventId, imageId }`.
   * @default {}
   */
  context?: ErrorContext;
}

/** A successfully downloaded body. */
export interface FetchedImage {
  bytes: Buffer;
  /** The response's `Content-Type`, as sent; informational only — the pipeline detects the format from the bytes. */
  contentType?: string;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
  /** How many attempts it took (1 when the first one succeeded). */
  attempts: number;
}

interface Settings {
  maxBytes: number;
  timeoutMs: number;
  deadlineMs: number;
  maxAttempts: number;
  maxRedirects: number;
  allowLoopback: boolean;
  allowedPorts: readonly number[];
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  resolve: ResolveHostname;
  sleep: (ms: number) => Promise<void>;
  context: ErrorContext;
}

/**
 * One attempt's failure: a reason without payload bytes, whether another attempt may help, and
 * how long the source asked us to wait before it (`Retry-After` on 429/503).
 */
class AttemptFailure extends Error {
  constructor(
    readonly reason: string,
    readonly retriable: boolean,
    options: { cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AttemptFailure';
    this.retryAfterMs = options.retryAfterMs;
  }

  readonly retryAfterMs: number | undefined;
}

/** Statuses whose `Retry-After` is honoured (RFC 9110 §15.6.4, RFC 6585 §4). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * The wait a `Retry-After` value asks for, in ms: delay-seconds or an HTTP-date (RFC 9110
 * §10.2.3); a date in the past is 0. `undefined` when absent or not in either form.
 *
 * @example
 * retryAfterMs('120');                           // 120_000
 * retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')); // 60_000
 */
export function retryAfterMs(value: string | undefined, nowEpochMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms) starts with a day name.
  if (!/^[A-Za-z]{3,9},? /.test(trimmed)) return undefined;
  // HTTP-dates are always GMT; asctime carries no zone, which Date.parse would read as local.
  const at = Date.parse(/ GMT$/i.test(trimmed) ? trimmed : `${trimmed} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowEpochMs);
}

/** How a reason names a `Retry-After` wait: whole seconds, rounded up. */
function describeRetryAfter(ms: number): string {
  return `the source asked to be retried in ${Math.ceil(ms / 1000)} s (Retry-After)`;
}

type HopOutcome =
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'body'; bytes: Buffer; contentType: string | undefined };

interface HopLimits {
  endsAt: number;
  expired: () => AttemptFailure;
}

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Socket-level failures that are usually transient. ENOTFOUND and TLS errors are not among them. */
const RETRIABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'EAI_AGAIN',
]);

const REQUEST_HEADERS = {
  accept: 'image/*',
  // We hand raw bytes to a content sniffer and count them against the cap: no compression.
  'accept-encoding': 'identity',
  'user-agent': 'image-ingestion-pipeline/0.1 (stream-consumer url fetch)',
} as const;

const now = (): number => performance.now();

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function readSettings(options: FetchImageOptions): Settings {
  const settings: Settings = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_FETCH_BYTES,
    timeoutMs: options.timeoutMs ?? 10_000,
    deadlineMs: options.deadlineMs ?? 30_000,
    maxAttempts: options.maxAttempts ?? 3,
    maxRedirects: options.maxRedirects ?? 3,
    allowLoopback: options.allowLoopback ?? false,
    allowedPorts: options.allowedPorts ?? [],
    retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 2_000,
    resolve: options.lookup ?? systemResolve,
    sleep: options.sleep ?? realSleep,
    context: { ...options.context },
  };
  for (const name of ['maxBytes', 'timeoutMs', 'deadlineMs', 'maxAttempts'] as const) {
    if (!isPositiveInteger(settings[name])) throw invalidParameterError(name, 'positive integer', settings[name]);
  }
  for (const name of ['maxRedirects', 'retryBaseDelayMs', 'retryMaxDelayMs'] as const) {
    if (!isNonNegativeInteger(settings[name])) throw invalidParameterError(name, 'non-negative integer', settings[name]);
  }
  if (typeof settings.allowLoopback !== 'boolean') throw invalidParameterError('allowLoopback', 'boolean', settings.allowLoopback);
  if (!Array.isArray(settings.allowedPorts) || !settings.allowedPorts.every((port) => Number.isInteger(port) && port >= 1 && port <= 65535)) {
    throw invalidParameterError('allowedPorts', 'array of ports between 1 and 65535', settings.allowedPorts);
  }
  if (typeof settings.resolve !== 'function') throw invalidParameterError('lookup', 'function', settings.resolve);
  if (typeof settings.sleep !== 'function') throw invalidParameterError('sleep', 'function', settings.sleep);
  return settings;
}

/**
 * A URL as it may appear in a message or log: no credentials, no query string (presigned URLs
 * carry their signature there), bounded length.
 */
function describeUrl(url: URL): string {
  const path = url.pathname.length > 120 ? `${url.pathname.slice(0, 120)}…` : url.pathname;
  return `${url.protocol}//${url.host}${path}${url.search === '' ? '' : '?…'}`;
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Decides what a hop to `url` may connect to, or why it may not be requested at all. Literal IP
 * hosts are judged here because Node connects to them without calling `lookup`.
 */
function admitTarget(url: URL, settings: Pick<Settings, 'allowLoopback' | 'allowedPorts'>): { policy: TargetPolicy } | { refusal: string } {
  if (url.username !== '' || url.password !== '') return { refusal: 'URLs with embedded credentials are not fetched' };
  let policy: TargetPolicy;
  if (url.protocol === 'https:') {
    policy = { allowLoopback: settings.allowLoopback, loopbackOnly: false };
  } else if (url.protocol === 'http:' && settings.allowLoopback) {
    policy = { allowLoopback: true, loopbackOnly: true };
  } else {
    return { refusal: `scheme ${JSON.stringify(url.protocol)} is not allowed (https only)` };
  }
  // The WHATWG URL parser drops a scheme's default port, so an empty port is 443 or 80.
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  if (port !== defaultPort && !settings.allowedPorts.includes(port)) {
    return { refusal: `port ${port} is not allowed (${defaultPort}${settings.allowedPorts.length > 0 ? ` and ${settings.allowedPorts.join(', ')}` : ''} only)` };
  }
  const host = stripBrackets(url.hostname);
  if (isIP(host) !== 0) {
    const refusal = refusalFor(host, policy);
    if (refusal !== undefined) return { refusal: `address ${refusal}` };
  }
  return { policy };
}

/** `localhost` or a name under `.localhost` (RFC 6761 §6.3), case-insensitive, with or without the root dot. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function contentLengthOf(response: IncomingMessage): number | undefined {
  const header = response.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

function connectionFailure(error: unknown): AttemptFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const retriable = code !== undefined && RETRIABLE_ERROR_CODES.has(code);
  return new AttemptFailure(`connection failed (${code ?? 'no error code'}: ${message})`, retriable, { cause: error });
}

/** Sends one GET to `url` and settles with its redirect, its body, or a classified failure. */
function requestHop(url: URL, policy: TargetPolicy, settings: Settings, limits: HopLimits, refuse: (reason: string) => Error): Promise<HopOutcome> {
  return new Promise<HopOutcome>((resolve, reject) => {
    const remainingMs = limits.endsAt - now();
    if (remainingMs <= 0) {
      reject(limits.expired());
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request({
      protocol: url.protocol,
      hostname: stripBrackets(url.hostname),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: REQUEST_HEADERS,
      // A private agent per request: a pooled socket would skip our lookup, and could have
      // been opened by some other code path without these checks.
      agent: false,
      lookup: createGuardedLookup(settings.resolve, policy),
    });

    let settled = false;
    const finish = (outcome: { ok: HopOutcome } | { error: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Closes the socket whatever state it is in; the body is never needed once we decide.
      request.destroy();
      if ('ok' in outcome) resolve(outcome.ok);
      else reject(outcome.error);
    };
    const fail = (error: unknown): void => finish({ error });
    const timer = setTimeout(() => fail(limits.expired()), remainingMs);

    request.on('socket', (socket: Socket) => {
      // Defence in depth: whatever route led here, the peer must be an address we accept.
      // Runs on TCP connect, before TLS or any HTTP byte is sent.
      socket.once('connect', () => {
        const peer = socket.remoteAddress;
        const refusal = peer === undefined ? 'peer address unknown' : refusalFor(peer, policy);
        if (refusal !== undefined) fail(refuse(`connected peer ${refusal}`));
      });
    });
    request.on('error', (error: unknown) => {
      fail(error instanceof RefusedAddressError ? refuse(error.reason) : connectionFailure(error));
    });
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        const location = response.headers.location;
        if (location === undefined || location === '') fail(new AttemptFailure(`HTTP ${status} redirect without a Location header`, false));
        else finish({ ok: { kind: 'redirect', status, location } });
        return;
      }
      if (status < 200 || status > 299) {
        // The body of an error response is never read: it cannot leak into a message.
        const header = response.headers['retry-after'];
        const waitMs = RETRY_AFTER_STATUSES.has(status) ? retryAfterMs(Array.isArray(header) ? header[0] : header) : undefined;
        fail(
          new AttemptFailure(waitMs === undefined ? `HTTP ${status}` : `HTTP ${status}; ${describeRetryAfter(waitMs)}`, status === 429 || status >= 500, {
            retryAfterMs: waitMs,
          }),
        );
        return;
      }
      const declared = contentLengthOf(response);
      if (declared !== undefined && declared > settings.maxBytes) {
        fail(
          new ImageTooLargeError(
            settings.maxBytes,
            `Image at ${describeUrl(url)} is too large: Content-Length ${declared} exceeds the ${settings.maxBytes}-byte limit`,
            { context: settings.context },
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > settings.maxBytes) {
          fail(
            new ImageTooLargeError(
              settings.maxBytes,
              `Image at ${describeUrl(url)} is too large: more than the ${settings.maxBytes}-byte limit arrived (stopped reading at ${received} bytes)`,
              { context: settings.context },
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        if (declared !== undefined && received !== declared) {
          fail(new AttemptFailure(`body ended after ${received} of ${declared} declared bytes`, true));
          return;
        }
        const contentType = response.headers['content-type'];
        finish({ ok: { kind: 'body', bytes: Buffer.concat(chunks, received), contentType } });
      });
      response.on('error', (error: unknown) => fail(connectionFailure(error)));
      response.on('close', () => {
        if (!response.complete) fail(new AttemptFailure('connection closed before the body was complete', true));
      });
    });
    request.end();
  });
}

/** The error for a hop refused before (or while) connecting: names the URL, never its query. */
function refusal(hop: URL, from: URL | undefined, reason: string, settings: Pick<Settings, 'context'>): ForbiddenSourceError {
  return new ForbiddenSourceError(
    from === undefined ? `Refusing to fetch ${describeUrl(hop)}: ${reason}` : `Refusing redirect from ${describeUrl(from)} to ${describeUrl(hop)}: ${reason}`,
    { context: settings.context },
  );
}

/** One attempt: the original URL and up to `maxRedirects` redirects, within this attempt's time. */
async function runAttempt(source: URL, settings: Settings, deadlineAt: number): Promise<Omit<FetchedImage, 'attempts'>> {
  const attemptEndsAt = Math.min(now() + settings.timeoutMs, deadlineAt);
  const limits: HopLimits = {
    endsAt: attemptEndsAt,
    expired: () =>
      attemptEndsAt >= deadlineAt
        ? new AttemptFailure(`total deadline of ${settings.deadlineMs} ms exceeded`, false)
        : new AttemptFailure(`attempt timed out after ${settings.timeoutMs} ms`, true),
  };
  let current = source;
  let previous: URL | undefined;
  for (let redirects = 0; ; redirects += 1) {
    const hop = current;
    const from = previous;
    const refuse = (reason: string): ForbiddenSourceError => refusal(hop, from, reason, settings);
    const admission = admitTarget(hop, settings);
    if ('refusal' in admission) throw refuse(admission.refusal);

    let outcome: HopOutcome;
    try {
      outcome = await requestHop(hop, admission.policy, settings, limits, refuse);
    } catch (error) {
      // The final message names the original URL; say where along the chain it failed.
      if (!(error instanceof AttemptFailure) || from === undefined) throw error;
      const where = `at ${describeUrl(hop)}, after ${redirects} redirect${redirects === 1 ? '' : 's'}`;
      throw new AttemptFailure(`${error.reason} (${where})`, error.retriable, { cause: error.cause, retryAfterMs: error.retryAfterMs });
    }
    if (outcome.kind === 'body') return { bytes: outcome.bytes, contentType: outcome.contentType, finalUrl: hop.href };

    if (redirects >= settings.maxRedirects) {
      throw new AttemptFailure(`too many redirects (more than ${settings.maxRedirects})`, false);
    }
    let next: URL;
    try {
      next = new URL(outcome.location, hop);
    } catch (error) {
      throw new AttemptFailure(`HTTP ${outcome.status} redirect to an invalid Location`, false, { cause: error });
    }
    previous = hop;
    current = next;
  }
}

/**
 * The URL a fetch starts from: the canonical form of the one source URL rule every entry point
 * applies (`canonicalSourceUrl`), so what is requested is what was recorded. A URL the rule
 * refuses (whitespace, controls, a backslash, no host, unparseable) is a refused source here.
 */
function parseSource(url: unknown, settings: Pick<Settings, 'context'>): URL {
  if (typeof url !== 'string') throw invalidParameterError('url', 'URL string', url);
  try {
    return new URL(canonicalSourceUrl(url));
  } catch (error) {
    // The rule's messages name the offending character, never the raw string (it may carry a signature or token).
    const reason = error instanceof PipelineError ? error.message : `it is not a valid absolute URL (${url.length} characters)`;
    throw new ForbiddenSourceError(`Refusing to fetch the source: ${reason}`, { cause: error, context: settings.context });
  }
}

/** What decides whether a URL may be requested at all: the {@link FetchImageOptions} of that name. */
export type UrlAdmissionOptions = Pick<FetchImageOptions, 'allowLoopback' | 'allowedPorts' | 'context'>;

/**
 * The fetcher's own admission check of a URL, without sending anything: the check
 * {@link fetchImage} makes of the URL before its first request. Refuses what is not an absolute
 * URL, a scheme other than `https:` (`http:` only to plain loopback with `allowLoopback`),
 * credentials in the URL, a port other than the scheme's own or `allowedPorts`, and a literal IP
 * host the address policy forbids. A host name passes: its addresses are vetted when the fetcher
 * connects, so a producer can check a URL here exactly as far as the consumer would before DNS.
 *
 * @throws {ForbiddenSourceError} naming the URL (without its query) and the reason.
 * @throws {InvalidParameterError} an option has the wrong type.
 * @example
 * assertFetchableUrl('https://images.example.com/cat.jpg');                 // ok
 * assertFetchableUrl('http://127.0.0.1:8080/cat.jpg', { allowLoopback: true, allowedPorts: [8080] }); // ok
 * assertFetchableUrl('https://10.0.0.7/cat.jpg');                           // throws: private (RFC 1918)
 */
export function assertFetchableUrl(url: string, options: UrlAdmissionOptions = {}): void {
  const settings = readSettings({ allowLoopback: options.allowLoopback, allowedPorts: options.allowedPorts, context: options.context });
  const source = parseSource(url, settings);
  const admission = admitTarget(source, settings);
  if ('refusal' in admission) throw refusal(source, undefined, admission.refusal, settings);
}

/**
 * Why a URL import may not use `url`, judged from the URL alone, or `undefined`: the fetcher's
 * own admission check ({@link assertFetchableUrl}: an absolute URL, https — plain http only to
 * loopback with `allowLoopback` —, no credentials, the scheme's port or `allowedPorts`, no literal
 * IP the address policy forbids), plus what a submission can already tell of a host name: the
 * name `localhost` (RFC 6761 §6.3: loopback, refused unless `allowLoopback`), and plain http to
 * any other name (its address is unknown until it resolves, and plain http is for loopback only).
 * A host name may still resolve to a forbidden address; only the fetch's own lookup can tell.
 *
 * @throws {InvalidParameterError} an option has the wrong type.
 * @example
 * targetRefusal('https://169.254.169.254/latest/meta-data/'); // 'Refusing to fetch https://169.254.169.254/latest/meta-data/: address 169.254.169.254 is link-local …'
 * targetRefusal('https://images.example.com/cat.jpg');         // undefined
 */
export function targetRefusal(url: string, options: Pick<UrlAdmissionOptions, 'allowLoopback' | 'allowedPorts'> = {}): string | undefined {
  try {
    assertFetchableUrl(url, options);
  } catch (error) {
    if (error instanceof ForbiddenSourceError) return error.message;
    throw error;
  }
  const parsed = new URL(canonicalSourceUrl(url));
  const host = stripBrackets(parsed.hostname);
  if (options.allowLoopback !== true && isLocalhostName(host)) return `Refusing to fetch ${describeUrl(parsed)}: host ${JSON.stringify(host)} is loopback`;
  if (parsed.protocol === 'http:' && isIP(host) === 0 && !isLocalhostName(host)) {
    return `Refusing to fetch ${describeUrl(parsed)}: scheme "http:" is not allowed (https only; plain http only to loopback, for local tests)`;
  }
  return undefined;
}

/**
 * Downloads an image referenced by URL, refusing anything that could reach the pipeline's own
 * network: only `https:` to public unicast addresses, checked for the original URL and every
 * redirect hop, and checked inside each connection's DNS lookup so a rebinding name cannot pass
 * the check and then connect elsewhere.
 *
 * Retries connection failures, timeouts, HTTP 5xx and 429 (up to `maxAttempts`, exponential
 * backoff with jitter; on 429 and 503 no sooner than the response's `Retry-After` asks, and not
 * at all when that is past the deadline — the error then says the source asked to be retried
 * later), never forbidden targets, oversized bodies or other 4xx. Every error is
 * `retriable: false`: the pipeline records the image as FAILED; messages carry the attempt count
 * but never response bytes or query strings.
 *
 * @throws {ForbiddenSourceError} the URL, a redirect target or a resolved address is not allowed
 *   (scheme, credentials in the URL, non-public address); nothing is sent to such a target.
 * @throws {ImageTooLargeError} the body is, or declares to be, over `maxBytes`.
 * @throws {SourceFetchError} HTTP error status, timeout or deadline, too many redirects, or a
 *   connection failure that persisted through every attempt.
 * @throws {InvalidParameterError} an option has the wrong type or range.
 *
 * @example
 * const { bytes, contentType, finalUrl, attempts } = await fetchImage('https://images.example.com/cat.jpg', {
 *   timeoutMs: config.fetch.timeoutMs,
 *   deadlineMs: 20_000,
 *   allowLoopback: config.fetch.allowLoopback,
 *   context: { eventId },
 * });
 */
export async function fetchImage(url: string, options: FetchImageOptions = {}): Promise<FetchedImage> {
  const settings = readSettings(options);
  const source = parseSource(url, settings);
  const deadlineAt = now() + settings.deadlineMs;
  const failed = (failure: AttemptFailure, attempts: number, suffix = ''): SourceFetchError =>
    new SourceFetchError(
      `Fetching ${describeUrl(source)} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${failure.reason}${suffix}`,
      { cause: failure, retriable: false, context: settings.context },
    );

  for (let attempt = 1; ; attempt += 1) {
    try {
      const fetched = await runAttempt(source, settings, deadlineAt);
      return { ...fetched, attempts: attempt };
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      if (!error.retriable || attempt >= settings.maxAttempts) throw failed(error, attempt);
      // A source's Retry-After is a floor on our own backoff, never shortened by `retryMaxDelayMs`;
      // only the deadline bounds it.
      const delayMs = Math.max(backoffDelayMs(attempt, { initialMs: settings.retryBaseDelayMs, maxMs: settings.retryMaxDelayMs }), error.retryAfterMs ?? 0);
      if (now() + delayMs >= deadlineAt) {
        throw failed(error, attempt, `; no time left for another attempt within the ${settings.deadlineMs} ms deadline`);
      }
      await settings.sleep(delayMs);
    }
  }
}
