import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../cli';
import { RuntimeHealth, startRuntime } from '../runtime';
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
    const stackConfig = useLocalStack();
    const { up, resources, supervisor } = await stackUp(stackConfig, out);
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
    let wake: () => void = () => undefined;
    const health = new RuntimeHealth();
    const onFatal = (error: Error): void => {
      fatal ??= error;
      wake();
    };
    let stopRuntime: () => Promise<void> = async () => undefined;
    try {
      stopRuntime = await startRuntime(runtimeComponents(config, { health, onFatal }), out, health);
    } catch (error) {
      await supervisor.stop(up.started);
      throw error;
    }
    out('readiness (stream runner state, lag per partition): GET /readyz on the REST API');
    out('ready. Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (fatal !== undefined) resolve();
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    if (fatal !== undefined) out(`error: ${fatal.message}; stopping`);
    out('stopping …');
    await stopRuntime();
    const stopped = await supervisor.stop(up.started);
    out(`stopped: ${[...stopped].join(', ') || 'nothing'}${up.reused.length > 0 ? `; left running (not started here): ${up.reused.join(', ')}` : ''}`);
    return fatal === undefined ? 0 : 1;
  },
};
