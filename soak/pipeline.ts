/**
 * One of the soak's pipeline processes, run as a child so the chaos driver can SIGKILL it:
 * `node dist/soak/pipeline.js stream` (the stream runner) or `… rest` (the REST adapter and the
 * S3-upload poller). It reads the soak's ports from the environment the driver gives it and never
 * starts or bootstraps a stack: the soak owns its stand-ins.
 */
import { startRuntime, type RuntimeComponent } from '../local/runtime';
import { runtimeComponents } from '../local/commands/components';
import { useLocalStack } from '../local/stack';

/** The components each role runs. */
export const SOAK_ROLES = { stream: ['stream-runner'], rest: ['rest-api', 'upload-poller'] } as const;

/** Starts the role's components and runs until SIGTERM/SIGINT or a fatal stream-runner error. */
export async function main(role: string): Promise<number> {
  if (role !== 'stream' && role !== 'rest') {
    process.stderr.write('usage: node dist/soak/pipeline.js stream|rest\n');
    return 2;
  }
  const config = useLocalStack();
  let wake: () => void = () => undefined;
  let fatal: Error | undefined;
  const wanted: readonly string[] = SOAK_ROLES[role];
  const components: RuntimeComponent[] = runtimeComponents(config, {
    onFatal: (error) => {
      fatal ??= error;
      wake();
    },
  }).filter((c) => wanted.includes(c.name));
  const stop = await startRuntime(components, (line) => void process.stdout.write(`${line}\n`));
  process.stdout.write(`soak-${role} ready\n`);
  await new Promise<void>((resolve) => {
    wake = resolve;
    if (fatal !== undefined) resolve();
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stop();
  return fatal === undefined ? 0 : 1;
}

if (require.main === module) {
  void main(process.argv[2] ?? '').then((code) => process.exit(code));
}
