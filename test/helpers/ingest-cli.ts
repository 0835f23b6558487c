/**
 * The `ingest` command line run in this process, as the refusal tests use it: `main(argv)` with
 * extra environment, its stdout and stderr captured (not shown), and every client socket it starts
 * recorded, so a test can show that a refused command sent nothing. For `ingest` in a child
 * process (a long-running `ingest start`), see `ingest-process.ts`.
 */
import { main } from '../../local/cli';
import { recordSockets } from './loopback-server';

/** What one `ingest` run did. */
export interface IngestRun {
  /** The exit code `main` resolved to. */
  code: number;
  stdout: string;
  stderr: string;
  /** Hosts of the client sockets started during the run (`[]`: nothing was sent anywhere). */
  sockets: string[];
}

/**
 * Runs `ingest <argv>` with `env` added to `process.env` for the run (restored after).
 *
 * @example
 * const { code, stderr, sockets } = await runIngest(['import', 'http://example.com/a.jpg']);
 * expect(code).toBe(2);
 */
export async function runIngest(argv: string[], env: Record<string, string | undefined> = {}): Promise<IngestRun> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const out: string[] = [];
  const err: string[] = [];
  const sockets = recordSockets();
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join(''), sockets: [...sockets.started] };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    sockets.restore();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
