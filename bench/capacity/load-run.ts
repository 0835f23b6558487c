/**
 * A bounded load run of the stream path on the local stack, for docs/capacity.md: a topic of its
 * own with 12 partitions, two local runner processes (`bench/workers/stream.js`, the runner
 * `ingest start` uses) in one consumer group of their own, and small inline image events. It
 * prints which partitions and how many records each process took, and the rate of the run.
 * The shared stack's default topic and group are never touched.
 *
 *   node dist/bench/capacity/load-run.js [--events=240] [--partitions=12] [--processes=2] [--timeout-s=300]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { destroyAwsClients, invalidParameterError, type ImageRecord } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { useLocalStack } from '../../local/stack';
import { ImageEventPublisher } from '../../kafka';
import { driverKafka } from '../context';
import { startWorker, stopAllWorkers, type Worker } from '../protocol';

/** Options of the load run. */
export interface LoadRunOptions {
  /** @default 240 */
  events: number;
  /** @default 12 */
  partitions: number;
  /** @default 2 */
  processes: number;
  /** The whole run gives up after this long. @default 300 */
  timeoutSeconds: number;
}

/** What one runner process did, read from its batch log lines. */
export interface ProcessShare {
  pid: number;
  partitions: number[];
  /** Records handed to the handler (a redelivered record counts again). */
  records: number;
  batches: number;
}

const LINE = /stream-runner topic=(\S+) partition=(\d+) offsets=\d+-\d+ records=(\d+)/;

/**
 * Sums a runner's `stream-runner topic=… partition=… records=…` log lines for one topic.
 * @example
 * shareFromLog(log, 'capacity-load-1a2b', 4242); // { pid: 4242, partitions: [0, 3], records: 40, batches: 4 }
 */
export function shareFromLog(log: string, topic: string, pid: number): ProcessShare {
  const partitions = new Set<number>();
  let records = 0;
  let batches = 0;
  for (const line of log.split('\n')) {
    const match = LINE.exec(line);
    if (match === null || match[1] !== topic) continue;
    partitions.add(Number(match[2]));
    records += Number(match[3]);
    batches += 1;
  }
  return { pid, partitions: [...partitions].sort((a, b) => a - b), records, batches };
}

/**
 * Reads `--name=value` options.
 * @throws InvalidParameterError for an unknown option or a value out of range.
 */
export function parseLoadRunArgs(argv: readonly string[]): LoadRunOptions {
  const options: LoadRunOptions = { events: 240, partitions: 12, processes: 2, timeoutSeconds: 300 };
  const bounds: Record<string, [keyof LoadRunOptions, number, number]> = {
    events: ['events', 1, 5000],
    partitions: ['partitions', 1, 64],
    processes: ['processes', 1, 4],
    'timeout-s': ['timeoutSeconds', 10, 1800],
  };
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(\d+)$/.exec(arg);
    const bound = match === null ? undefined : bounds[match[1] as string];
    if (match === null || bound === undefined) throw invalidParameterError('option', '--events, --partitions, --processes or --timeout-s with an integer', arg);
    const value = Number(match[2]);
    if (value < bound[1] || value > bound[2]) throw invalidParameterError(`--${match[1]}`, `integer between ${bound[1]} and ${bound[2]}`, value);
    options[bound[0]] = value;
  }
  return options;
}

/** A small photo-like JPEG (noise over a gradient), different for every seed. */
async function smallJpeg(seed: number): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const noise = randomBytes(width * height * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = ((noise[i] as number) >> 2) + ((i / 3) % width) / 2 + (seed % 64);
  return sharp(noise, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
}

/** The run's records, every status, at most 50 pages. */
async function recordsOf(runtime: PipelineRuntime, customerId: string): Promise<ImageRecord[]> {
  const records: ImageRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const result = await runtime.metadata.listByCustomer(customerId, { limit: 100, cursor }, new Date());
    records.push(...result.items);
    cursor = result.cursor;
    if (cursor === undefined) break;
  }
  return records;
}

async function main(): Promise<void> {
  const options = parseLoadRunArgs(process.argv.slice(2));
  const config = useLocalStack();
  const run = `capacity-load-${randomUUID().slice(0, 8)}`;
  const topic = run;
  const groupId = run;
  const customerId = run;
  const runtime = createPipelineRuntime({ ...config, logLevel: 'ERROR' }, 'capacity-load-run');
  const kafka = driverKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  const workers: Worker[] = [];
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: options.partitions }], waitForLeaders: true });
    console.log(`topic ${topic}: ${options.partitions} partitions; group ${groupId}; ${options.processes} runner processes; ${options.events} events`);

    const logDir = join(__dirname, '..', '..', '..', 'bench', 'out', 'capacity');
    for (let i = 0; i < options.processes; i++) {
      workers.push(await startWorker('stream', { args: [topic, groupId], logFile: join(logDir, `${run}-runner-${i + 1}.log`), readyTimeoutMs: 90_000 }));
    }
    // Let the group settle on its final assignment before the clock starts.
    await sleep(8000);

    const images = await Promise.all(Array.from({ length: 8 }, (_, seed) => smallJpeg(seed)));
    const publisher = await ImageEventPublisher.connect({ config, topic, blobs: runtime.blobs, secrets: runtime.secrets });
    const started = performance.now();
    try {
      for (let i = 0; i < options.events; i++) {
        await publisher.publish({ customerId, image: { kind: 'bytes', data: images[i % images.length] as Buffer }, contentType: 'image/jpeg' });
      }
    } finally {
      await publisher.disconnect();
    }

    let finished = 0;
    let records: ImageRecord[] = [];
    while (Date.now() < deadline) {
      records = await recordsOf(runtime, customerId);
      finished = records.filter((r) => r.status !== 'RECEIVED' && r.notifiedAt !== undefined).length;
      if (finished >= options.events) break;
      await sleep(2000);
    }
    const seconds = (performance.now() - started) / 1000;

    const shares = workers.map((w, i) => shareFromLog(readFileSync(join(logDir, `${run}-runner-${i + 1}.log`), 'utf8'), topic, w.pid));
    for (const [i, share] of shares.entries()) {
      console.log(`runner process ${i + 1} (pid ${share.pid}): ${share.records} records in ${share.batches} batches from partitions [${share.partitions.join(', ')}]`);
    }
    const failed = records.filter((r) => r.status === 'FAILED').length;
    console.log(`finished ${finished}/${options.events} images (${failed} FAILED) in ${seconds.toFixed(1)} s = ${(finished / seconds).toFixed(2)} images/s, publish included`);
    if (finished < options.events) process.exitCode = 1;
    if (shares.some((s) => s.records === 0)) {
      console.log('a runner process took no records: the work did not spread');
      process.exitCode = 1;
    }

    // The run's objects; its records expire with the table's TTL.
    for (const record of records) {
      await runtime.blobs.delete(record.raw).catch(() => undefined);
      for (const variant of Object.values(record.variants ?? {})) await runtime.blobs.delete({ bucket: config.processedBucket, key: variant.key }).catch(() => undefined);
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop(10_000)));
    await stopAllWorkers();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    destroyAwsClients(runtime.clients);
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`load run failed: ${error.message}`);
    process.exitCode = 1;
  });
}
