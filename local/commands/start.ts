import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../cli';
import { RuntimeHealth, StartInterruptedError, startRuntime } from '../runtime';
import { stackUp, useLocalStack, userPoolEnvironment } from '../stack';
import { runtimeComponents } from './components';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** Copies everything written to stdout (the pipeline's JSON log lines included) to a file. */
function teeStdout(file: string): string {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    appendFileSync(file, chunk);
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return file;
}

/** `ingest start`: what `make start` runs. Stack up, bootstrap, then the pipeline in the foreground. */
export const startCommand: Command = {
  usage: 'ingest start',
  summary: 'bring the stack up and run the pipeline in the foreground (Ctrl-C stops it)',
  help: 'Starts the local stack (installing it on first use), bootstraps it, then runs the pipeline\'s local runtime in the foreground and prints where everything listens. Ctrl-C stops the runtime and every server this command started; servers that were already running are left running.',
  async run() {
    // Ctrl-C is handled from the first moment: during start-up it stops what has started so far
    // (the stream runner's first join with its retries can take a minute); a second one exits at
    // once and says what may still run.
    const interrupted = new AbortController();
    const onSignal = (): void => {
      if (interrupted.signal.aborted) {
        out('interrupted again: exiting now; servers this command started may still be running (`ingest stack down` stops them)');
        process.exit(130);
      }
      interrupted.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      return await runPipeline(interrupted.signal);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/**
 * Stack up, bootstrap, the runtime, then waits for Ctrl-C (`interrupted`) or a fatal runner.
 * @returns the exit status: 0 after a requested stop, 1 after a fatal runner, 130 when
 *   interrupted before the pipeline was ready.
 */
async function runPipeline(interrupted: AbortSignal): Promise<number> {
  // Ctrl-C before "ready" is announced here; after it, it ends the wait below.
  let wake: (() => void) | undefined;
  interrupted.addEventListener('abort', () => (wake === undefined ? out('interrupted: stopping what has started so far (Ctrl-C again exits at once) …') : wake()), { once: true });
  const stackConfig = useLocalStack();
  const { up, resources, supervisor } = await stackUp(stackConfig, out);
  const stopServers = async (): Promise<void> => {
    const stopped = await supervisor.stop(up.started);
    out(`stopped: ${[...stopped].join(', ') || 'nothing'}${up.reused.length > 0 ? `; left running (not started here): ${up.reused.join(', ')}` : ''}`);
  };
  if (interrupted.aborted) {
    out('interrupted before the pipeline started; stopping …');
    await stopServers();
    return 130;
  }
  // The runtime accepts the dev user pool's ID tokens beside API keys (`ingest login`).
  const config = useLocalStack(userPoolEnvironment(resources.userPool));
  const services = await supervisor.status();
  for (const s of services) out(`${s.name.padEnd(9)} ${s.endpoint.padEnd(24)} stands in for ${s.standsInFor}`);
  out(`development API key (customer "dev"): ${resources.devApiKey}`);
  out(`sign-in tokens: dev user pool ${resources.userPool.userPoolId}, app client ${resources.userPool.clientId} (TOKEN=$(ingest login <user>))`);
  const logFile = teeStdout(join(supervisor.paths.logs, 'pipeline.log'));
  out(`pipeline logs (JSON lines): this console and ${logFile}`);
  out(`notifications: SNS ${resources.snsTopicArn} -> SQS ${resources.notificationQueueUrl}`);

  // A stream runner that cannot restart its consumer ends the process (non-zero) rather than
  // leaving a healthy-looking API over a dead consumer.
  let fatal: Error | undefined;
  const health = new RuntimeHealth();
  const onFatal = (error: Error): void => {
    fatal ??= error;
    wake?.();
  };
  let stopRuntime: () => Promise<void> = async () => undefined;
  try {
    stopRuntime = await startRuntime(runtimeComponents(config, { health, onFatal }), out, health, interrupted);
  } catch (error) {
    if (error instanceof StartInterruptedError) out('interrupted before the pipeline was ready; stopping …');
    await stopServers();
    if (error instanceof StartInterruptedError) return 130;
    throw error;
  }
  out('readiness (stream runner state, lag per partition): GET /readyz on the REST API');
  out('ready. Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    wake = resolve;
    if (fatal !== undefined || interrupted.aborted) resolve();
  });
  if (fatal !== undefined) out(`error: ${fatal.message}; stopping`);
  out('stopping …');
  await stopRuntime();
  await stopServers();
  return fatal === undefined ? 0 : 1;
}
