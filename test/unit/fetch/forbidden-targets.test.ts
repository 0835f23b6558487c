import { ForbiddenSourceError } from '../../../core/errors';
import { fetchImage, type FetchImageOptions, type ResolvedAddress, type ResolveHostname } from '../../../core/adapters/fetch';
import { recordSockets, startLoopbackServer, type LoopbackServer, type SocketRecorder } from '../../helpers/loopback-server';

const quick: FetchImageOptions = { timeoutMs: 1_000, deadlineMs: 2_000, retryBaseDelayMs: 5, retryMaxDelayMs: 20 };

let server: LoopbackServer;
let sockets: SocketRecorder;
let sleep: jest.Mock<Promise<void>, [number]>;

beforeAll(async () => {
  server = await startLoopbackServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  // Dial attempts are recorded in-process, so a refused 10.0.0.1 is proven undialed even
  // though no server of ours could listen there to notice.
  sockets = recordSockets();
  sleep = jest.fn(async (_ms: number) => undefined);
});

afterEach(() => {
  sockets.restore();
});

/** A resolver that answers from a fixed table and records what it was asked. */
function fakeResolver(answers: Record<string, ResolvedAddress[] | ResolvedAddress[][]>): jest.Mock<ReturnType<ResolveHostname>, Parameters<ResolveHostname>> {
  const calls = new Map<string, number>();
  return jest.fn(async (hostname: string) => {
    const answer = answers[hostname];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const call = calls.get(hostname) ?? 0;
    calls.set(hostname, call + 1);
    // A list of lists plays a rebinding server: a different answer per query.
    const sequence = Array.isArray(answer[0]) ? (answer as ResolvedAddress[][]) : [answer as ResolvedAddress[]];
    return sequence[Math.min(call, sequence.length - 1)] ?? [];
  });
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });

async function forbiddenFailure(url: string, options: FetchImageOptions): Promise<ForbiddenSourceError> {
  const error = await fetchImage(url, { ...quick, sleep, ...options }).then(
    () => new Error(`expected ${url} to be refused, but it was fetched`),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ForbiddenSourceError)) throw error;
  return error;
}

describe('ports (issue 12, fault 7): 443, 80 where plain HTTP is allowed, and configured ports only', () => {
  it.each([
    ['SSH on a public host', 'https://images.test:22/a.jpg'],
    ['Redis on a public host', 'https://images.test:6379/a.jpg'],
    ['an alternative HTTPS port not in config', 'https://images.test:8443/a.jpg'],
    ['the loopback test server without its port configured', 'http://127.0.0.1:PORT/image.png'],
  ])('refuses %s before any lookup or socket', async (_name, target) => {
    const lookup = fakeResolver({ 'images.test': [v4('93.184.216.34')] });
    const error = await forbiddenFailure(target.replace('PORT', String(server.port)), { allowLoopback: true, lookup });
    expect(error.message).toMatch(/port \d+ is not allowed/);
    expect(lookup).not.toHaveBeenCalled();
    expect(sockets.started).toEqual([]);
  });

  it('fetches from a port named in allowedPorts, and refuses a redirect from it to another port', async () => {
    const other = server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('x'));
    const redirect = server.route((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:6380${other}` }).end());
    await expect(fetchImage(server.url(other), { ...quick, sleep, allowLoopback: true, allowedPorts: [server.port] })).resolves.toMatchObject({ attempts: 1 });
    const error = await forbiddenFailure(server.url(redirect), { allowLoopback: true, allowedPorts: [server.port] });
    expect(error.message).toMatch(/port 6380 is not allowed/);
  });
});

describe('allowLoopback off: loopback and private targets are refused before any socket', () => {
  // PORT is the counting loopback server's: a connection that slipped through would land there.
  const literalTargets = [
    'http://127.0.0.1:PORT/image.png',
    'https://127.0.0.1:PORT/image.png',
    'https://[::ffff:127.0.0.1]:PORT/',
    'https://[::ffff:7f00:1]:PORT/',
    'https://[::127.0.0.1]:PORT/',
    'https://[::1]:PORT/',
    'https://2130706433:PORT/',
    'https://0x7f.0.0.1:PORT/',
    'https://0x7f.1:PORT/',
    'https://0177.0.0.1:PORT/',
    'https://127.1:PORT/',
    'https://[64:ff9b::7f00:1]:PORT/',
    'https://[2002:7f00:1::1]:PORT/',
    'https://169.254.169.254/latest/meta-data/',
    'https://2852039166/latest/meta-data/',
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/latest/meta-data/',
    'https://10.0.0.1/',
    'https://0xa000001/',
    'https://192.168.1.1/',
    'https://100.64.0.1/',
    'https://[fe80::1]/',
    'https://[fc00::1]/',
    'https://0.0.0.0/',
    'https://224.0.0.1/',
    'https://192.0.2.10/',
  ];

  it.each(literalTargets)('%s', async (target) => {
    const url = target.replace('PORT', String(server.port));
    const connectionsBefore = server.connections;

    const error = await forbiddenFailure(url, {});

    expect(error.message).toMatch(/^Refusing to fetch /);
    expect(error.retriable).toBe(false);
    expect(sockets.started).toEqual([]);
    expect(server.connections).toBe(connectionsBefore);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('names the reason in the message', async () => {
    await expect(forbiddenFailure('https://169.254.169.254/latest/meta-data/', {})).resolves.toMatchObject({
      message: 'Refusing to fetch https://169.254.169.254/latest/meta-data/: address 169.254.169.254 is a cloud instance-metadata endpoint',
    });
    await expect(forbiddenFailure(`https://0x7f.1:${server.port}/`, { allowedPorts: [server.port] })).resolves.toMatchObject({
      message: expect.stringContaining('address 127.0.0.1 is loopback') as unknown as string,
    });
    await expect(forbiddenFailure(`http://127.0.0.1:${server.port}/`, {})).resolves.toMatchObject({
      message: expect.stringContaining('scheme "http:" is not allowed (https only)') as unknown as string,
    });
  });

  it('refuses a name the real system resolver maps to loopback (localhost)', async () => {
    const connectionsBefore = server.connections;

    const error = await forbiddenFailure(`https://localhost:${server.port}/`, { allowedPorts: [server.port] });

    expect(error.message).toMatch(/host "localhost" resolved to .* is loopback/);
    expect(sockets.dialed).toEqual([]);
    expect(server.connections).toBe(connectionsBefore);
  });

  it('refuses a name whose resolver answers 10.0.0.1 or 169.254.169.254, with no TCP connection', async () => {
    const lookup = fakeResolver({ 'rebind.test': [v4('10.0.0.1')], 'metadata.test': [v4('169.254.169.254')] });

    const privateError = await forbiddenFailure('https://rebind.test/a.png', { lookup });
    const metadataError = await forbiddenFailure('https://metadata.test/latest/meta-data/', { lookup });

    expect(privateError.message).toBe('Refusing to fetch https://rebind.test/a.png: host "rebind.test" resolved to 10.0.0.1 is private (RFC 1918)');
    expect(metadataError.message).toMatch(/169\.254\.169\.254 is a cloud instance-metadata endpoint/);
    expect(lookup.mock.calls.map(([host]) => host)).toEqual(['rebind.test', 'metadata.test']);
    // Sockets were started for the names, but the lookup never handed them an address to dial.
    expect(sockets.started).toEqual(['rebind.test', 'metadata.test']);
    expect(sockets.dialed).toEqual([]);
  });

  it('refuses a name with a public and a private address (any forbidden address rejects the name)', async () => {
    const lookup = fakeResolver({ 'mixed.test': [v4('93.184.216.34'), v4('10.0.0.1')] });

    const error = await forbiddenFailure('https://mixed.test/a.png', { lookup });

    expect(error.message).toMatch(/resolved to 10\.0\.0\.1 is private/);
    expect(sockets.dialed).toEqual([]);
  });
});

describe('allowLoopback on: only plain loopback opens up', () => {
  const targets = [
    'http://10.0.0.1/',
    'http://192.168.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'https://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://[::ffff:7f00:1]:PORT/',
    'https://[64:ff9b::7f00:1]:PORT/',
    'http://93.184.216.34/', // public, but plain http is for loopback only
    'ftp://127.0.0.1/image.png',
    'file:///etc/passwd',
    'http://user:secret@127.0.0.1:PORT/',
  ];

  it.each(targets)('%s stays forbidden', async (target) => {
    const url = target.replace('PORT', String(server.port));
    const connectionsBefore = server.connections;

    const error = await forbiddenFailure(url, { allowLoopback: true, allowedPorts: [server.port] });

    expect(error.message).not.toContain('secret');
    expect(sockets.started).toEqual([]);
    expect(server.connections).toBe(connectionsBefore);
  });

  it('still refuses names resolving to private or (over http) public addresses', async () => {
    const connectionsBefore = server.connections;
    const lookup = fakeResolver({
      'lan.test': [v4('192.168.1.20')],
      'mixed-loopback.test': [v4('127.0.0.1'), v4('10.0.0.1')],
      'public.test': [v4('93.184.216.34')],
    });

    const lan = await forbiddenFailure(`http://lan.test:${server.port}/`, { allowLoopback: true, allowedPorts: [server.port], lookup });
    const mixed = await forbiddenFailure(`http://mixed-loopback.test:${server.port}/`, { allowLoopback: true, allowedPorts: [server.port], lookup });
    const plainHttpPublic = await forbiddenFailure('http://public.test/', { allowLoopback: true, allowedPorts: [server.port], lookup });

    expect(lan.message).toMatch(/192\.168\.1\.20 is private/);
    expect(mixed.message).toMatch(/10\.0\.0\.1 is private/);
    expect(plainHttpPublic.message).toMatch(/93\.184\.216\.34 is not loopback, and plain http is only allowed to loopback/);
    expect(sockets.dialed).toEqual([]);
    expect(server.connections).toBe(connectionsBefore);
  });

  it('rejects a string that is not a URL without echoing it', async () => {
    const spaced = await forbiddenFailure('not a url?token=secret', { allowLoopback: true, allowedPorts: [server.port] });
    const hostless = await forbiddenFailure('notaurl?token=secret', { allowLoopback: true, allowedPorts: [server.port] });
    const badPort = await forbiddenFailure('https://example.com:99999/a.jpg?token=secret', { allowLoopback: true, allowedPorts: [server.port] });

    expect(spaced.message).toBe(
      'Refusing to fetch the source: url contains a space (U+0020) at position 4; a URL may not contain whitespace, control or invisible characters or a backslash (percent-encode them, e.g. %20, %5C)',
    );
    expect(hostless.message).toMatch(/^Refusing to fetch the source: url is not a valid absolute URL: the scheme must be followed by exactly "\/\/" and a host/);
    expect(badPort.message).toBe('Refusing to fetch the source: url is not a valid absolute URL (44 characters): its host or port cannot be parsed');
    for (const error of [spaced, hostless, badPort]) expect(error.message).not.toContain('secret');
  });
});

describe('redirects are re-checked hop by hop', () => {
  const redirectTo = (location: string) =>
    server.route((_request, response) => {
      response.writeHead(302, { location }).end();
    });

  it.each(['http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'https://[fd00:ec2::254]/', 'http://[::ffff:a00:1]/', 'ftp://127.0.0.1/x'])(
    'refuses a redirect to %s and sends nothing there',
    async (location) => {
      const path = redirectTo(location);

      const error = await forbiddenFailure(server.url(path), { allowLoopback: true, allowedPorts: [server.port] });

      expect(error.message).toMatch(new RegExp(`^Refusing redirect from ${server.url(path)} to `));
      // The only socket ever started, and the only address dialed, is our own server.
      expect(sockets.started).toEqual(['127.0.0.1']);
      expect(sockets.dialed).toEqual(['127.0.0.1']);
      expect(sleep).not.toHaveBeenCalled();
    },
  );

  it('refuses a redirect to a name whose resolver answers 10.0.0.1', async () => {
    const path = redirectTo('http://internal.test/secret');
    const lookup = fakeResolver({ 'internal.test': [v4('10.0.0.1')] });
    const connectionsBefore = server.connections;

    const error = await forbiddenFailure(server.url(path), { allowLoopback: true, allowedPorts: [server.port], lookup });

    expect(error.message).toMatch(/to http:\/\/internal\.test\/secret: host "internal\.test" resolved to 10\.0\.0\.1 is private/);
    expect(lookup).toHaveBeenCalledWith('internal.test');
    expect(sockets.dialed).toEqual(['127.0.0.1']);
    expect(server.connections).toBe(connectionsBefore + 1);
  });

  it('re-resolves on every connection, so a rebinding name is caught on its second answer', async () => {
    const second = server.route((_request, response) => {
      response.writeHead(200).end('should never be served');
    });
    const first = redirectTo(`http://flip.test:${server.port}${second}`);
    const lookup = fakeResolver({ 'flip.test': [[v4('127.0.0.1')], [v4('10.0.0.1')]] });
    const connectionsBefore = server.connections;

    const error = await forbiddenFailure(`http://flip.test:${server.port}${first}`, { allowLoopback: true, allowedPorts: [server.port], lookup });

    expect(error.message).toMatch(/resolved to 10\.0\.0\.1 is private/);
    expect(lookup).toHaveBeenCalledTimes(2);
    expect(server.hits(first)).toBe(1);
    expect(server.hits(second)).toBe(0);
    expect(sockets.dialed).toEqual(['127.0.0.1']);
    expect(server.connections).toBe(connectionsBefore + 1);
  });
});
