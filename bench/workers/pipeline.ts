/**
 * The shared pipeline alone in this process, fed the in-memory corpus: with the AWS adapters on
 * the local stack, or with every port in memory. The driver reads this process's CPU time for
 * each, so the difference is the CPU the AWS calls cost (SDK, signing, HTTP), per image and
 * per call.
 *
 * Usage (by bench/run.js only): `node pipeline.js <customer id> <corpus file>...`
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { ImagePipeline, createPipelineRuntime } from '../../core/runtime';
import { useLocalStack } from '../../local/stack';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier, countingCalls } from '../../test/helpers/in-memory-ports';
import { toDriver, type DriverMessage, type PipelineCreated, type PipelineRequest } from '../protocol';

const [customerId, ...files] = process.argv.slice(2);
const corpus = files.map((file) => readFileSync(file));
const config = useLocalStack();
const runtime = createPipelineRuntime(config, 'bench-pipeline');

async function run(request: PipelineRequest): Promise<void> {
  const counter = { calls: 0 };
  const ports =
    request.ports === 'aws'
      ? { blobs: runtime.blobs, metadata: runtime.metadata, notifier: runtime.notifier }
      : { blobs: new InMemoryBlobStore(), metadata: new InMemoryMetadataStore(), notifier: new InMemoryNotifier() };
  const pipeline = new ImagePipeline({
    config,
    telemetry: runtime.telemetry,
    blobs: countingCalls(ports.blobs, counter),
    metadata: countingCalls(ports.metadata, counter),
    notifier: countingCalls(ports.notifier, counter),
  });
  const created: PipelineCreated[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < request.images) {
      const bytes = corpus[next++ % corpus.length] as Buffer;
      const { record } = await pipeline.ingest({ imageId: randomUUID(), source: 'kafka', customerId: customerId as string, bytes });
      if (record.status !== 'PROCESSED') throw new Error(`image ${record.imageId} ended ${record.status}: ${record.error?.message ?? ''}`);
      if (request.ports === 'aws') {
        created.push({ imageId: record.imageId, raw: record.raw, processedBucket: config.processedBucket, processed: Object.values(record.variants ?? {}).map((v) => ({ key: v.key })) });
      }
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, worker));
  toDriver({ type: 'pipeline-done', images: request.images, wallMs: performance.now() - started, portCalls: counter.calls, created });
}

function main(): void {
  if (customerId === undefined || corpus.length === 0) throw new Error('usage: pipeline.js <customer id> <corpus file>...');
  process.on('message', (message: DriverMessage) => {
    if (message.type === 'stop') process.exit(0);
    if (message.type === 'pipeline') run(message).catch((error: Error) => toDriver({ type: 'failed', message: error.stack ?? error.message }));
  });
  // Read after the runtime imported core/image, which applies the pipeline's sharp settings.
  toDriver({ type: 'ready', sharpConcurrency: sharp.concurrency() });
}

main();
