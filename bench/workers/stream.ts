/**
 * The stream path as `ingest start` runs it — the MSK handler fed by the local event-source
 * runner — alone in this process, so the driver can read its CPU time and peak memory.
 *
 * Usage (by bench/run.js only): `node stream.js <topic> <consumer group>`
 */
import sharp from 'sharp';
import { useLocalStack } from '../../local/stack';
import { createLocalStreamComponent } from '../../local/stream-runner';
import { toDriver, type DriverMessage } from '../protocol';

async function main(): Promise<void> {
  const [topic, groupId] = process.argv.slice(2);
  if (topic === undefined || groupId === undefined) throw new Error('usage: stream.js <topic> <consumer group>');
  const config = useLocalStack();
  const running = await createLocalStreamComponent(config, { topic, groupId, log: (line) => void process.stdout.write(`${line}\n`) }).start();
  process.on('message', (message: DriverMessage) => {
    if (message.type !== 'stop') return;
    running.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`stopping failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  });
  // Read after the runtime imported core/image, which applies the pipeline's sharp settings.
  toDriver({ type: 'ready', sharpConcurrency: sharp.concurrency() });
}

main().catch((error: Error) => {
  toDriver({ type: 'failed', message: error.stack ?? error.message });
  process.exitCode = 1;
});
