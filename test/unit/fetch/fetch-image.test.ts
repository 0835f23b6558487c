import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { ImageTooLargeError, InvalidParameterError, SourceFetchError } from '../../../core/errors';
import { MAX_IMAGE_BYTES } from '../../../core/constants';
import { fetchImage, retryAfterMs, type FetchImageOptions, type ResolveHostname } from '../../../core/adapters/fetch';
import { closed, startLoopbackServer, unusedLoopbackPort, type LoopbackServer } from '../../helpers/loopback-server';

const MiB = 1024 * 1024;
const BODY_MARKER = 'BODY-MARKER-must-not-leak';

/** Small timings keep the suite fast; each test that is about time sets its own. */
const base: FetchImageOptions = { allowLoopback: true, timeoutMs: 2_000, deadlineMs: 4_000, retryBaseDelayMs: 5, retryMaxDelayMs: 20 };
/**
 * For the 10 MiB bodies: moving them through a loopback socket takes well under a second on a quiet
 * machine but took over 4 s on the 2-core CI box under load, so these tests give the fetch 30 s. The
 * time is not what they check; where a test needs a fetcher that stops counting to fail, that
 * fetcher would wait out these 30 s and fail by its deadline error instead.
 */
const tenMiB = (): FetchImageOptions => ({ ...base, timeoutMs: 30_000, deadlineMs: 30_000 });

let server: LoopbackServer;
let png: Buffer;

beforeAll(async () => {
  server = await startLoopbackServer();
  // Loopback servers listen on random ports: name it, as FETCH_ALLOWED_PORTS would.
  base.allowedPorts = [server.port];
  png = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#c00' } }).png().toBuffer();
});

afterAll(async () => {
  await server.close();
});

/** Runs `action` and returns what it threw (failing the test if it did not throw). */
async function failureOf(action: Promise<unknown>): Promise<Error> {
  try {
    await action;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the fetch to fail, but it succeeded');
}

/** Writes `total` bytes of `x` in 1 MiB chunks without a Content-Length; ends only if asked. */
function streamBytes(response: ServerResponse, total: number, end: boolean): void {
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  let left = total;
  while (left > 0) {
    const size = Math.min(MiB, left);
    response.write(Buffer.alloc(size, 'x'));
    left -= size;
  }
  if (end) response.end();
}

describe('fetchImage: success paths', () => {
  it('downloads an image and reports content type, final URL and one attempt', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    });

    const result = await fetchImage(server.url(path), base);

    const metadata = await sharp(result.bytes).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['png', 3, 2]);
    expect(result.contentType).toBe('image/png');
    expect(result.finalUrl).toBe(server.url(path));
    expect(result.attempts).toBe(1);
    expect(server.hits(path)).toBe(1);
  });

  it('connects through the resolver it was given, inside the connection lookup', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    const lookup = jest.fn<ReturnType<ResolveHostname>, Parameters<ResolveHostname>>(async () => [{ address: '127.0.0.1', family: 4 }]);

    const result = await fetchImage(`http://images.test:${server.port}${path}`, { ...base, lookup });

    expect(lookup).toHaveBeenCalledWith('images.test');
    expect(result.finalUrl).toBe(`http://images.test:${server.port}${path}`);
    expect((await sharp(result.bytes).metadata()).width).toBe(3);
  });

  it('accepts exactly 10 MiB with a Content-Length', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(200, { 'content-length': MAX_IMAGE_BYTES }).end(Buffer.alloc(MAX_IMAGE_BYTES, 'x'));
    });

    const result = await fetchImage(server.url(path), tenMiB());

    expect(result.bytes.length).toBe(MAX_IMAGE_BYTES);
  });

  it('accepts exactly 10 MiB streamed without a Content-Length', async () => {
    let sentContentLength: unknown = 'not captured';
    const path = server.route((_request, response) => {
      streamBytes(response, MAX_IMAGE_BYTES, true);
      sentContentLength = response.getHeader('content-length');
    });

    const result = await fetchImage(server.url(path), tenMiB());

    expect(sentContentLength).toBeUndefined();
    expect(result.bytes.length).toBe(MAX_IMAGE_BYTES);
  });
});

describe('fetchImage: size cap', () => {
  it('rejects 10 MiB + 1 byte announced by Content-Length', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(200, { 'content-length': MAX_IMAGE_BYTES + 1 }).end(Buffer.alloc(MAX_IMAGE_BYTES + 1, 'x'));
    });

    const error = await failureOf(fetchImage(server.url(path), base));

    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as ImageTooLargeError).limitBytes).toBe(MAX_IMAGE_BYTES);
    expect((error as ImageTooLargeError).retriable).toBe(false);
    expect(error.message).toContain('Content-Length 10485761');
    expect(error.message).not.toContain('xxxx');
  });

  it('rejects from the Content-Length header alone, without waiting for the body', async () => {
    let connectionClosed: Promise<void> = Promise.resolve();
    const path = server.route((_request, response) => {
      // Declares too much, sends one byte and then holds the connection open.
      response.writeHead(200, { 'content-length': MAX_IMAGE_BYTES + 1 });
      response.write('x');
      connectionClosed = closed(response);
    });
    const error = await failureOf(fetchImage(server.url(path), { ...base, deadlineMs: 3_000 }));

    // Waiting for the body would have ended in the deadline's SourceFetchError instead.
    expect(error).toBeInstanceOf(ImageTooLargeError);
    await connectionClosed;
  });

  it('aborts a stream without Content-Length as soon as it passes 10 MiB', async () => {
    let connectionClosed: Promise<void> = Promise.resolve();
    const path = server.route((_request, response) => {
      // 10 MiB + 1 and then nothing: only counting while streaming can end this before the deadline.
      streamBytes(response, MAX_IMAGE_BYTES + 1, false);
      connectionClosed = closed(response);
    });

    const error = await failureOf(fetchImage(server.url(path), tenMiB()));

    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(error.message).toMatch(new RegExp(`more than the ${MAX_IMAGE_BYTES}-byte limit arrived`));
    expect(error.message).not.toContain('xxxx');
    await connectionClosed;
  });

  it('honours a smaller maxBytes exactly at the boundary', async () => {
    const fits = server.route((_request, response) => streamBytes(response, 1_000, true));
    const tooBig = server.route((_request, response) => streamBytes(response, 1_001, true));

    const ok = await fetchImage(server.url(fits), { ...base, maxBytes: 1_000 });
    const error = await failureOf(fetchImage(server.url(tooBig), { ...base, maxBytes: 1_000 }));

    expect(ok.bytes.length).toBe(1_000);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as ImageTooLargeError).limitBytes).toBe(1_000);
  });
});

describe('fetchImage: time limits', () => {
  /** Sends headers, then one byte every `everyMs` forever. */
  const trickle = (everyMs: number) =>
    server.route((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      const timer = setInterval(() => response.write('x'), everyMs);
      response.on('close', () => clearInterval(timer));
    });

  it('cuts a slow trickle off at the total deadline', async () => {
    let connectionClosed: Promise<void> = Promise.resolve();
    const path = server.route((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      const timer = setInterval(() => response.write('x'), 100);
      response.on('close', () => clearInterval(timer));
      connectionClosed = closed(response);
    });
    const started = performance.now();

    const error = await failureOf(fetchImage(server.url(path), { ...base, timeoutMs: 10_000, deadlineMs: 700 }));

    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toMatch(/failed after 1 attempt: total deadline of 700 ms exceeded/);
    // Not before the deadline; the message shows the deadline is what ended it.
    expect(elapsed).toBeGreaterThanOrEqual(650);
    await connectionClosed;
  });

  it('applies the deadline to a server that never sends headers', async () => {
    const path = server.route(() => {
      // Accepts the request and never answers.
    });

    const error = await failureOf(fetchImage(server.url(path), { ...base, timeoutMs: 10_000, deadlineMs: 400 }));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toMatch(/total deadline of 400 ms exceeded/);
  });

  it('retries an attempt that exceeds its per-attempt timeout', async () => {
    const path = server.route((_request, response, hit) => {
      if (hit === 1) {
        response.writeHead(200);
        const timer = setInterval(() => response.write('x'), 50);
        response.on('close', () => clearInterval(timer));
        return;
      }
      response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });

    const result = await fetchImage(server.url(path), { ...base, timeoutMs: 300, deadlineMs: 3_000 });

    expect(result.attempts).toBe(2);
    expect(server.hits(path)).toBe(2);
  });

  it('holds the total deadline across retried attempts', async () => {
    const path = trickle(50);

    const error = await failureOf(fetchImage(server.url(path), { ...base, timeoutMs: 250, deadlineMs: 600, maxAttempts: 10 }));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toMatch(/total deadline of 600 ms exceeded/);
    expect(server.hits(path)).toBeGreaterThanOrEqual(2);
  });
});

describe('fetchImage: retries', () => {
  it('succeeds on the third attempt after two 503s, backing off exponentially with jitter', async () => {
    const path = server.route((_request, response, hit) => {
      if (hit <= 2) response.writeHead(503, { 'content-type': 'text/plain' }).end(BODY_MARKER);
      else response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    const delays: number[] = [];
    const sleep = async (ms: number) => {
      delays.push(ms);
    };

    const result = await fetchImage(server.url(path), { ...base, retryBaseDelayMs: 200, retryMaxDelayMs: 2_000, sleep });

    expect(result.attempts).toBe(3);
    expect(server.hits(path)).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(100);
    expect(delays[0]).toBeLessThanOrEqual(200);
    expect(delays[1]).toBeGreaterThanOrEqual(200);
    expect(delays[1]).toBeLessThanOrEqual(400);
  });

  it('gives up after 3 attempts of 503 and says so, without the response body', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain' }).end(BODY_MARKER);
    });

    const error = await failureOf(fetchImage(server.url(path), base));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect((error as SourceFetchError).retriable).toBe(false);
    expect(error.message).toBe(`Fetching ${server.url(path)} failed after 3 attempts: HTTP 503`);
    expect(server.hits(path)).toBe(3);
  });

  it('retries 429', async () => {
    const path = server.route((_request, response, hit) => {
      if (hit === 1) response.writeHead(429).end(BODY_MARKER);
      else response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });

    const result = await fetchImage(server.url(path), base);

    expect(result.attempts).toBe(2);
  });

  it.each([
    [503, 'delay-seconds', () => '3'],
    [429, 'an HTTP-date', () => new Date(Date.now() + 3_000).toUTCString()],
  ])('waits at least the Retry-After of a %i (%s) before the next attempt', async (status, _form, header) => {
    const path = server.route((_request, response, hit) => {
      if (hit === 1) response.writeHead(status, { 'retry-after': header() }).end(BODY_MARKER);
      else response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    const delays: number[] = [];
    const sleep = async (ms: number) => {
      delays.push(ms);
    };

    const result = await fetchImage(server.url(path), { ...base, deadlineMs: 10_000, sleep });

    expect(result.attempts).toBe(2);
    expect(delays).toHaveLength(1);
    // The HTTP-date has one-second resolution: it may name up to a second less than 3 s from now.
    expect(delays[0]).toBeGreaterThanOrEqual(status === 503 ? 3_000 : 1_000);
    expect(delays[0]).toBeLessThanOrEqual(3_000);
  });

  it('does not wait past the deadline for a Retry-After, and says the source asked to be retried later', async () => {
    const path = server.route((_request, response) => response.writeHead(503, { 'retry-after': '120' }).end(BODY_MARKER));
    const delays: number[] = [];
    const sleep = async (ms: number) => {
      delays.push(ms);
    };

    const error = await failureOf(fetchImage(server.url(path), { ...base, deadlineMs: 30_000, sleep }));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toBe(
      `Fetching ${server.url(path)} failed after 1 attempt: HTTP 503; the source asked to be retried in 120 s (Retry-After); no time left for another attempt within the 30000 ms deadline`,
    );
    expect(delays).toEqual([]);
    expect(server.hits(path)).toBe(1);
  });

  it('ignores Retry-After on statuses other than 429 and 503', async () => {
    const path = server.route((_request, response) => response.writeHead(500, { 'retry-after': '120' }).end());
    const delays: number[] = [];

    const error = await failureOf(fetchImage(server.url(path), { ...base, sleep: async (ms) => void delays.push(ms) }));

    expect(error.message).toBe(`Fetching ${server.url(path)} failed after 3 attempts: HTTP 500`);
    expect(delays.every((ms) => ms <= base.retryMaxDelayMs!)).toBe(true);
  });

  it('does not retry 404, and keeps body and query string out of the message', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(BODY_MARKER);
    });
    const sleep = jest.fn(async () => undefined);

    const error = await failureOf(fetchImage(`${server.url(path)}?X-Amz-Signature=topsecret`, { ...base, sleep, context: { eventId: 'evt-404' } }));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toBe(`Fetching ${server.url(path)}?… failed after 1 attempt: HTTP 404`);
    expect(error.message).not.toContain(BODY_MARKER);
    expect(error.message).not.toContain('topsecret');
    expect((error as SourceFetchError).context.eventId).toBe('evt-404');
    expect(server.hits(path)).toBe(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('retries a connection reset', async () => {
    const path = server.route((request, response, hit) => {
      if (hit === 1) request.socket.destroy();
      else response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });

    const result = await fetchImage(server.url(path), base);

    expect(result.attempts).toBe(2);
  });

  it('retries a refused connection, then reports it with the attempt count', async () => {
    const port = await unusedLoopbackPort();
    const sleep = jest.fn(async () => undefined);

    const error = await failureOf(fetchImage(`http://127.0.0.1:${port}/image.png`, { ...base, sleep, allowedPorts: [port] }));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toMatch(/failed after 3 attempts: connection failed \(ECONNREFUSED/);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it('does not sleep past the deadline: gives up when the backoff would not fit', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(503).end();
    });
    const sleep = jest.fn(async () => undefined);

    const error = await failureOf(fetchImage(server.url(path), { ...base, deadlineMs: 500, retryBaseDelayMs: 2_000, retryMaxDelayMs: 2_000, sleep }));

    expect(error.message).toMatch(/failed after 1 attempt: HTTP 503; no time left for another attempt within the 500 ms deadline/);
    expect(sleep).not.toHaveBeenCalled();
  });
});

describe('fetchImage: redirects', () => {
  /** A chain of `length` redirects ending at a PNG; returns the first and last paths. */
  function redirectChain(length: number, relative = false): { first: string; last: string; paths: string[] } {
    const last = server.route((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    const paths: string[] = [];
    let target = last;
    for (let i = 0; i < length; i += 1) {
      const next = target;
      target = server.route((_request, response) => {
        response.writeHead(i % 2 === 0 ? 302 : 301, { location: relative ? next : server.url(next) }).end();
      });
      paths.unshift(target);
    }
    return { first: target, last, paths };
  }

  it('follows 3 redirects', async () => {
    const chain = redirectChain(3);

    const result = await fetchImage(server.url(chain.first), base);

    expect(result.finalUrl).toBe(server.url(chain.last));
    expect(result.attempts).toBe(1);
  });

  it('resolves a relative Location against the current URL', async () => {
    const chain = redirectChain(1, true);

    const result = await fetchImage(server.url(chain.first), base);

    expect(result.finalUrl).toBe(server.url(chain.last));
  });

  it('refuses a 4th redirect and never requests its target', async () => {
    const chain = redirectChain(4);

    const error = await failureOf(fetchImage(server.url(chain.first), base));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toMatch(/failed after 1 attempt: too many redirects \(more than 3\)/);
    expect(chain.paths.map((path) => server.hits(path))).toEqual([1, 1, 1, 1]);
    expect(server.hits(chain.last)).toBe(0);
  });

  it('names the hop that failed when it is not the original URL', async () => {
    const missing = server.route((_request, response) => {
      response.writeHead(404).end(BODY_MARKER);
    });
    const first = server.route((_request, response) => {
      response.writeHead(302, { location: missing }).end();
    });

    const error = await failureOf(fetchImage(server.url(first), base));

    expect(error.message).toBe(`Fetching ${server.url(first)} failed after 1 attempt: HTTP 404 (at ${server.url(missing)}, after 1 redirect)`);
  });

  it('reports a redirect without Location', async () => {
    const path = server.route((_request, response) => {
      response.writeHead(302).end();
    });

    const error = await failureOf(fetchImage(server.url(path), base));

    expect(error).toBeInstanceOf(SourceFetchError);
    expect(error.message).toMatch(/HTTP 302 redirect without a Location header/);
  });
});

describe('fetchImage: options', () => {
  it('rejects malformed options with the uniform validation message', async () => {
    const error = await failureOf(fetchImage('https://images.example/x.png', { maxBytes: -1 }));

    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error.message).toBe('Expected positive integer for maxBytes but received -1 of type number');
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2015 07:29:30 GMT', 90_000],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['Wednesday, 21-Oct-15 07:29:00 GMT', 60_000],
    ['Wed Oct 21 07:29:00 2015', 60_000],
  ])('reads %j as %i ms', (value, expected) => {
    expect(retryAfterMs(value, now)).toBe(expected);
  });

  it.each([[undefined], [''], ['-5'], ['1.5'], ['soon'], ['99999999999'], ['2015-10-21T07:29:00Z']])('ignores %j', (value) => {
    expect(retryAfterMs(value, now)).toBeUndefined();
  });
});
