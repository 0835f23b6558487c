import net, { type AddressInfo, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 to one target that can be switched off (connections reset) and on again. */
export interface SwitchableProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** While off, every connection is reset at once: a dependency outage the SDK retries. */
  setOn(on: boolean): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy to `target` (an http URL's host and port), on by default.
 *
 * @example
 * const proxy = await startSwitchableProxy(config.endpoints.s3!);
 * proxy.setOn(false); // S3 "down"
 */
export async function startSwitchableProxy(target: string): Promise<SwitchableProxy> {
  const { hostname, port } = new URL(target);
  let on = true;
  const sockets = new Set<Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (!on) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setOn(value: boolean) {
      on = value;
      if (!value) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
