/**
 * `assertFetchableUrl` is the fetcher's own admission check, usable without fetching: producers
 * call it (through `HttpsImageFetcher#assertFetchable`) so they never publish a URL the consumer's
 * fetcher refuses. Each refusal here is the very error `fetchImage` raises for that URL, before
 * any socket is opened; each URL admitted here is one `fetchImage` goes on to request.
 */
import { ForbiddenSourceError } from '../../../core/errors';
import { assertFetchableUrl, fetchImage, HttpsImageFetcher, type UrlAdmissionOptions } from '../../../core/adapters/fetch';
import { loadConfig } from '../../../core/config';
import { recordSockets, startLoopbackServer, type LoopbackServer } from '../../helpers/loopback-server';

const quick = { timeoutMs: 1_000, deadlineMs: 2_000, maxAttempts: 1 } as const;

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer();
});
afterAll(async () => {
  await server.close();
});

function refusalOf(url: string, options: UrlAdmissionOptions): Error | undefined {
  try {
    assertFetchableUrl(url, options);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('assertFetchableUrl: the same refusals as fetchImage, before anything is sent', () => {
  const strict: UrlAdmissionOptions = {};
  const loopbackOn = (port: number): UrlAdmissionOptions => ({ allowLoopback: true, allowedPorts: [port] });

  it.each([
    ['plain http to a public host', 'http://images.example.com/cat.jpg', strict, /scheme "http:" is not allowed \(https only\)/],
    ['another scheme', 'ftp://images.example.com/cat.jpg', strict, /scheme "ftp:" is not allowed/],
    ['not an absolute URL', 'cat.jpg?token=secret', strict, /not a valid absolute URL/],
    ['credentials in the URL', 'https://user:pw@images.example.com/cat.jpg', strict, /embedded credentials/],
    ['a port not allowed', 'https://images.example.com:8443/cat.jpg', strict, /port 8443 is not allowed \(443 only\)/],
    ['a private address', 'https://10.1.2.3/cat.jpg', strict, /10\.1\.2\.3 is private \(RFC 1918\)/],
    ['the instance-metadata endpoint', 'https://169.254.169.254/latest/meta-data/', strict, /cloud instance-metadata endpoint/],
    ['loopback without the switch', 'https://127.0.0.1/cat.jpg', strict, /127\.0\.0\.1 is loopback/],
    ['loopback in hex', 'https://0x7f.1/cat.jpg', strict, /127\.0\.0\.1 is loopback/],
    ['IPv6 loopback', 'https://[::1]/cat.jpg', strict, /::1 is loopback/],
    ['IPv4-mapped loopback, even with the switch', 'https://[::ffff:127.0.0.1]/cat.jpg', { allowLoopback: true }, /loopback \(IPv4 127\.0\.0\.1 embedded as ipv4Mapped\)/],
    ['plain http to loopback without the switch', 'http://127.0.0.1/cat.jpg', strict, /scheme "http:" is not allowed/],
    ['plain http to a private address with the switch', 'http://10.0.0.1/cat.jpg', { allowLoopback: true }, /10\.0\.0\.1 is private/],
    ['plain http to a public address with the switch', 'http://93.184.216.34/cat.jpg', { allowLoopback: true }, /not loopback, and plain http is only allowed to loopback/],
    ['a loopback port not in the allowance', 'http://127.0.0.1:8081/cat.jpg', { allowLoopback: true, allowedPorts: [8080] }, /port 8081 is not allowed \(80 and 8080 only\)/],
  ])('refuses %s (%s)', async (_what, url, options, reason) => {
    const sockets = recordSockets();
    try {
      const refused = refusalOf(url, options);
      expect(refused).toBeInstanceOf(ForbiddenSourceError);
      expect(refused?.message).toMatch(reason);
      expect(refused?.message).not.toContain('secret');
      // The fetcher itself refuses it with the same words, and dials nothing.
      const fetched = await fetchImage(url, { ...quick, ...options }).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(fetched).toBeInstanceOf(ForbiddenSourceError);
      expect(fetched?.message).toBe(refused?.message);
      expect(sockets.started).toEqual([]);
    } finally {
      sockets.restore();
    }
  });

  it.each([
    ['https to a public host name', 'https://images.example.com/cat.jpg', strict],
    ['https to a public address', 'https://93.184.216.34/cat.jpg', strict],
    ['https on an allowed port', 'https://images.example.com:8443/cat.jpg', { allowedPorts: [8443] }],
    ['plain http to loopback with the switch, default port', 'http://127.0.0.1/cat.jpg', { allowLoopback: true }],
  ])('admits %s', (_what, url, options) => {
    expect(refusalOf(url, options)).toBeUndefined();
  });

  it('admits exactly the loopback URL the soak and tests serve with their port allowance, and fetchImage fetches it', async () => {
    const path = server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('png')));
    const url = server.url(path);
    expect(refusalOf(url, loopbackOn(server.port))).toBeUndefined();
    await expect(fetchImage(url, { ...quick, ...loopbackOn(server.port) })).resolves.toMatchObject({ bytes: Buffer.from('png') });
    // Without the allowance the same URL is refused by both, and never requested.
    expect(refusalOf(url, { allowLoopback: true })?.message).toMatch(`port ${server.port} is not allowed`);
    expect(refusalOf(url, strict)?.message).toMatch('scheme "http:" is not allowed');
    expect(server.hits(path)).toBe(1);
  });
});

describe('HttpsImageFetcher#assertFetchable: the check under the consumer\'s FETCH_* settings', () => {
  const local = { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000' };

  it('follows FETCH_ALLOW_LOOPBACK and FETCH_ALLOWED_PORTS as loadConfig reads them', () => {
    const url = 'http://127.0.0.1:18080/cat.jpg';
    const fetcherFor = (env: Record<string, string>) => HttpsImageFetcher.fromConfig(loadConfig({ ...local, ...env }));
    expect(() => fetcherFor({}).assertFetchable(url)).toThrow(/scheme "http:" is not allowed/);
    expect(() => fetcherFor({ FETCH_ALLOW_LOOPBACK: 'true' }).assertFetchable(url)).toThrow(/port 18080 is not allowed/);
    expect(() => fetcherFor({ FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: '18080' }).assertFetchable(url)).not.toThrow();
    expect(() => fetcherFor({ FETCH_ALLOWED_PORTS: '18080' }).assertFetchable('https://10.0.0.1:18080/')).toThrow(/private/);
  });
});
