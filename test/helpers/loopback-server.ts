import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** Serves one path; `hit` counts the requests to that path (1 for the first). */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse, hit: number) => void;

/** A plain HTTP server on 127.0.0.1 whose routes each test registers under a unique path. */
export interface LoopbackServer {
  port: number;
  /** TCP connections accepted since start. */
  readonly connections: number;
  /** Registers `handler` under a fresh unique path and returns that path (e.g. `/r/7`). */
  route(handler: RouteHandler): string;
  /** Requests served so far on `path`. */
  hits(path: string): number;
  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string;
  close(): Promise<void>;
}

/** Starts a {@link LoopbackServer}; call `close()` in `afterAll`. */
export async function startLoopbackServer(): Promise<LoopbackServer> {
  const routes = new Map<string, { handler: RouteHandler; hits: number }>();
  let connections = 0;
  let nextId = 0;
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://placeholder').pathname;
    const route = routes.get(path);
    if (route === undefined) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`no route for ${path}`);
      return;
    }
    route.hits += 1;
    route.handler(request, response, route.hits);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get connections() {
      return connections;
    },
    route(handler) {
      nextId += 1;
      const path = `/r/${nextId}`;
      routes.set(path, { handler, hits: 0 });
      return path;
    },
    hits: (path) => routes.get(path)?.hits ?? 0,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function unusedLoopbackPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** What client sockets did while a {@link recordSockets} recorder was active. */
export interface SocketRecorder {
  /** Hosts passed to `Socket#connect`: a socket was started for them (names included). */
  readonly started: string[];
  /** Addresses actually dialed (`connectionAttempt`): a TCP SYN went out to each. */
  readonly dialed: string[];
  restore(): void;
}

/**
 * Records every client socket in this process by wrapping `net.Socket#connect`, through which
 * both `http` and `tls` sockets connect. `dialed` is the proof that matters: it lists the IP
 * addresses a connection was attempted to, after any lookup.
 */
export function recordSockets(): SocketRecorder {
  const started: string[] = [];
  const dialed: string[] = [];
  const original = net.Socket.prototype.connect;
  const spy = jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as { host?: string } | undefined;
    started.push(String(options?.host ?? '(unknown)'));
    this.on('connectionAttempt', (address: string) => dialed.push(address));
    return (original as (...params: unknown[]) => net.Socket).apply(this, args);
  });
  return { started, dialed, restore: () => spy.mockRestore() };
}

/** Waits until `response`'s connection has been closed by the client. */
export function closed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (response.socket === null || response.socket.destroyed) resolve();
    else response.socket.once('close', () => resolve());
  });
}
