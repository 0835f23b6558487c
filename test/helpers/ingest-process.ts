/**
 * The `ingest` command line in a child process, as a user runs it: its output is piped into the
 * test (never onto jest's own output) and kept so that a failing wait can show it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../local/stack/paths';

/** `bin/ingest.js` of this checkout. */
export const INGEST_CLI = join(projectRoot(), 'bin', 'ingest.js');

/** What is kept of a child's output for failure messages: its last 256 KiB. */
const KEPT_OUTPUT_CHARS = 256 * 1024;

/** A running `ingest` child process. */
export interface IngestProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** The exit code once the process has exited (`null` when a signal ended it). */
  readonly exited: Promise<number | null>;
  /**
   * Resolves with what the child printed on stdout from this call on, once `pattern` appears
   * there.
   * @throws Error after `timeoutMs`, or when the child exits first, with the output so far (stdout and stderr).
   */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Sends SIGKILL if the child is still running (for `afterAll`). */
  kill(): void;
}

/**
 * Starts `node bin/ingest.js <args>` with `env`.
 *
 * @example
 * const ingest = startIngest(['start'], { ...process.env, API_PORT: String(port) });
 * afterAll(() => ingest.kill());
 * await ingest.waitForOutput(/ready\. Ctrl-C to stop\./, 90_000);
 */
export function startIngest(args: string[], env: NodeJS.ProcessEnv): IngestProcess {
  const child = spawn(process.execPath, [INGEST_CLI, ...args], { env });
  let combined = '';
  const keep = (chunk: Buffer): void => {
    combined = (combined + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        let output = '';
        const fail = (why: string): void => {
          cleanup();
          reject(new Error(`\`ingest ${args.join(' ')}\` printed no ${String(pattern)} ${why}; its output so far:\n${combined}`));
        };
        const onData = (chunk: Buffer): void => {
          output += chunk.toString('utf8');
          if (pattern.test(output)) {
            cleanup();
            resolve(output);
          }
        };
        const onClose = (code: number | null): void => fail(`before it exited with ${code}`);
        const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.off('close', onClose);
        };
        child.stdout.on('data', onData);
        // 'close', not 'exit': the last output has been read by then.
        child.once('close', onClose);
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
