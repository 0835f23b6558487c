import type { Server } from 'node:http';

/** A local HTTP server that is listening, with its URL and a stop that ends open connections too. */
export interface ListeningServer {
  server: Server;
  /** `http://<host>:<port>/` */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `server` on `host:port` (0 picks a free port) for one of `make start`'s local pages.
 *
 * @param what - the page's name and the variable that moves it, for the error message.
 * @throws Error "port … (<name>) is already in use; set <variable> to use another port" on EADDRINUSE,
 *   or the listen error as it came.
 */
export async function listenLocal(server: Server, host: string, port: number, what: { name: string; portVariable: string }): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} (${what.name}) is already in use; set ${what.portVariable} to use another port`) : error),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address() as { port: number };
  return {
    server,
    url: `http://${host}:${address.port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
