/**
 * Phase 2 (and 4, our CPU per image): the stream path end to end. Inline Avro events go onto a
 * fresh topic; the consumer runs alone in a child process; completion and latency are observed
 * through an SQS queue subscribed to the notifications of this run's customer.
 *
 * Saturation throughput is a backlog drain: N events wait on the topic, the consumer starts,
 * and the clock runs from its group join to the N-th notification, so the publisher's CPU does
 * not compete with it. Latency is then measured open-loop: events published on a fixed
 * schedule at the saturation rate and at half of it, each timed from its scheduled publish
 * to its notification (a late publish counts against the pipeline, as a real producer's would).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageEventPublisher } from '../../kafka';
import { createBenchTopic, type BenchContext } from '../context';
import { openInbox, type NotificationInbox } from '../inbox';
import { CpuLedger, ThreadLedger, latencySummary, processAllocator, processEnvironmentValue } from '../measure';
import { startWorker, type Worker } from '../protocol';

/** Latency of one open-loop run at a fixed publish rate. */
export interface PacedRun {
  /** Publish rate asked for, events per second. */
  ratePerSec: number;
  events: number;
  /** Publish→notification, from each event's scheduled publish time. */
  latencyMs: ReturnType<typeof latencySummary>;
  missing: number;
  /** Consumer CPU ms per image during this run. */
  cpuMsPerImage: number;
}

/** What the stream phase measured. */
export interface StreamResult {
  events: number;
  imagesPerSec: number;
  wallMs: number;
  /** CPU ms of the consumer process per image in the saturation run. */
  cpuMsPerImage: number;
  /** CPU ms per image of every process we know of during the saturation run (consumer, driver, kafka, dynamodb, moto, machine, other). */
  cpuMsPerImageBy: Record<string, number>;
  /** The consumer's CPU ms per image by thread: main (JavaScript), libvips, other. */
  consumerThreadCpuMsPerImage: Record<string, number>;
  notProcessed: number;
  missing: number;
  saturation?: PacedRun;
  half?: PacedRun;
  sharpConcurrency: number;
  uvThreadpoolSize: string;
  allocator: string;
  recordConcurrency: number;
}

function perImage(cpu: Record<string, number>, images: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round((v / images) * 10) / 10]));
}

/**
 * Publishes `count` inline events (the corpus round-robin) and returns their ids, publishing
 * a few at a time so the idempotent producer always has the next one ready.
 */
async function publishBurst(publisher: ImageEventPublisher, corpus: Buffer[], customerId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, k) =>
      publisher.publish({ customerId, image: { kind: 'bytes', data: corpus[(i + k) % corpus.length] as Buffer }, fileName: `bench-${i + k}` }),
    );
    for (const result of await Promise.all(batch)) {
      if (result.claimCheck !== undefined) throw new Error(`a corpus image did not fit inline (${result.messageBytes} bytes); the stream phase must publish inline events`);
      ids.push(result.eventId);
    }
  }
  return ids;
}

async function pacedRun(
  ctx: BenchContext,
  worker: Worker,
  publisher: ImageEventPublisher,
  inbox: NotificationInbox,
  corpus: Buffer[],
  customerId: string,
  ratePerSec: number,
  budgetMs: number,
): Promise<PacedRun> {
  const events = Math.max(40, Math.min(120, Math.floor((ratePerSec * budgetMs) / 1000)));
  const intervalMs = 1000 / ratePerSec;
  const scheduled = new Map<string, number>();
  const publishes: Promise<unknown>[] = [];
  const ledger = new CpuLedger(new Map([['consumer', worker.pid]]));
  const start = performance.now() + 50;
  for (let i = 0; i < events; i++) {
    const at = start + i * intervalMs;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    const eventId = randomUUID();
    scheduled.set(eventId, at);
    const publishing = publisher.publish({ eventId, customerId, image: { kind: 'bytes', data: corpus[i % corpus.length] as Buffer }, fileName: `paced-${i}` });
    // Handled now, rethrown by the Promise.all below: an early failure must not crash the driver
    // as an unhandled rejection before the cleanup has run.
    publishing.catch(() => undefined);
    publishes.push(publishing);
  }
  await Promise.all(publishes);
  const ids = [...scheduled.keys()];
  const { missing } = await inbox.waitFor(ids, 120_000);
  const cpu = ledger.delta();
  const latencies = ids.filter((id) => inbox.arrivals.has(id)).map((id) => (inbox.arrivals.get(id)?.at as number) - (scheduled.get(id) as number));
  return { ratePerSec, events, latencyMs: latencySummary(latencies), missing: missing.length, cpuMsPerImage: (cpu.consumer ?? Number.NaN) / (events - missing.length) };
}

/**
 * Runs the stream phase: backlog drain of `options.streamEvents`, then paced runs at the
 * measured saturation rate and at half of it.
 *
 * @throws Error when the consumer fails to start or a corpus image would need a claim check.
 */
export async function measureStream(ctx: BenchContext): Promise<StreamResult> {
  const corpus = ctx.corpusFiles.map((f) => readFileSync(f));
  const topic = await createBenchTopic(ctx, `bench-images-${ctx.runId}`);
  const groupId = `bench-stream-${ctx.runId}`;
  ctx.groups.push(groupId);
  const customerId = `bench-stream-${ctx.runId}`;
  const inbox = await openInbox(ctx.runtime.clients, ctx.config, customerId);
  ctx.cleanups.push(() => inbox.close());
  const publisher = await ImageEventPublisher.connect({ config: ctx.config, blobs: ctx.runtime.blobs, secrets: ctx.runtime.secrets, topic });
  ctx.cleanups.push(() => publisher.disconnect());

  const n = ctx.options.streamEvents;
  ctx.log(`  publishing ${n} inline events to ${topic} (${ctx.config.kafka.partitions} partitions) before the consumer starts`);
  const ids = await publishBurst(publisher, corpus, customerId, n);

  const execArgv = ctx.options.profile ? ['--cpu-prof', '--cpu-prof-dir', join(ctx.outDir, 'profiles'), '--cpu-prof-name', `stream-${ctx.runId}.cpuprofile`] : [];
  const worker = await startWorker('stream', { args: [topic, groupId], execArgv, logFile: join(ctx.outDir, 'stream-worker.log'), readyTimeoutMs: 90_000 });
  try {
    const pids = new Map([['consumer', worker.pid], ['driver', process.pid], ...ctx.stackPids]);
    const ledger = new CpuLedger(pids);
    const threads = new ThreadLedger(worker.pid);
    const started = performance.now();
    const { missing } = await inbox.waitFor(ids, 240_000);
    const last = Math.max(...ids.filter((id) => inbox.arrivals.has(id)).map((id) => inbox.arrivals.get(id)?.at as number));
    const cpu = ledger.delta();
    const split = threads.delta();
    const done = ids.length - missing.length;
    const wallMs = last - started;
    const notProcessed = ids.filter((id) => inbox.arrivals.has(id) && inbox.arrivals.get(id)?.status !== 'PROCESSED').length;
    const result: StreamResult = {
      events: n,
      imagesPerSec: missing.length > 0 ? Number.NaN : done / (wallMs / 1000),
      wallMs: Math.round(wallMs),
      cpuMsPerImage: (cpu.consumer ?? Number.NaN) / done,
      cpuMsPerImageBy: perImage(cpu, done),
      consumerThreadCpuMsPerImage: perImage(split, done),
      notProcessed,
      missing: missing.length,
      sharpConcurrency: worker.ready.sharpConcurrency,
      uvThreadpoolSize: processEnvironmentValue(worker.pid, 'UV_THREADPOOL_SIZE') ?? 'unset (libuv default 4)',
      allocator: processAllocator(worker.pid),
      recordConcurrency: ctx.config.stream.recordConcurrency,
    };
    ctx.log(`  backlog of ${n}: ${result.imagesPerSec.toFixed(2)} img/s in ${(wallMs / 1000).toFixed(1)} s; consumer ${result.cpuMsPerImage.toFixed(1)} CPU-ms/img; per image by process: ${JSON.stringify(result.cpuMsPerImageBy)}; consumer by thread: ${JSON.stringify(result.consumerThreadCpuMsPerImage)}`);
    if (missing.length > 0 || !Number.isFinite(result.imagesPerSec)) return result;

    result.saturation = await pacedRun(ctx, worker, publisher, inbox, corpus, customerId, result.imagesPerSec, 25_000);
    ctx.log(`  paced at saturation (${result.imagesPerSec.toFixed(2)}/s): ${JSON.stringify(result.saturation.latencyMs)} ms, missing ${result.saturation.missing}`);
    result.half = await pacedRun(ctx, worker, publisher, inbox, corpus, customerId, result.imagesPerSec / 2, 40_000);
    ctx.log(`  paced at half (${(result.imagesPerSec / 2).toFixed(2)}/s): ${JSON.stringify(result.half.latencyMs)} ms, missing ${result.half.missing}`);
    return result;
  } finally {
    await worker.stop();
    for (const [id, arrival] of inbox.arrivals) ctx.created.set(id, arrival);
  }
}
