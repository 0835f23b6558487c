/**
 * Phase 5: peak RSS of the stream consumer while it processes 10 MiB, ~24-megapixel JPEGs at
 * its configured record concurrency. The images are too large for a Kafka message, so the
 * publisher sends claim checks (S3 references), as a real producer must.
 *
 * Measured twice in fresh processes: with the C library's allocator as it comes, and with the
 * allocator advice of sharp's documentation (jemalloc where one is installed; otherwise glibc
 * limited to two arenas, the usual mitigation of its per-thread-arena fragmentation).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageEventPublisher } from '../../kafka';
import { createBenchTopic, type BenchContext } from '../context';
import { openInbox } from '../inbox';
import { findJemalloc, peakRssMiB, processAllocator } from '../measure';
import { startWorker } from '../protocol';

/** One measured consumer process. */
export interface MemoryRun {
  /** `default` or the advice applied, e.g. `MALLOC_ARENA_MAX=2`. */
  setting: string;
  allocator: string;
  sharpConcurrency: number;
  images: number;
  peakRssMiB: number;
  /** Peak RSS before the first image arrived: the process' own baseline. */
  idleRssMiB: number;
  wallMs: number;
  notProcessed: number;
  missing: number;
}

/** Both runs and which one the headline figure is. */
export interface MemoryResult {
  runs: MemoryRun[];
  /** The lower of the two: the advice where it helps, the default where it does not. */
  best: MemoryRun;
  inputBytes: number[];
}

async function measureOnce(ctx: BenchContext, images: Buffer[], count: number, setting: string, extraEnv: Record<string, string>): Promise<MemoryRun> {
  const label = setting === 'default' ? 'default' : 'advice';
  const topic = await createBenchTopic(ctx, `bench-memory-${label}-${ctx.runId}`);
  const groupId = `bench-memory-${label}-${ctx.runId}`;
  ctx.groups.push(groupId);
  const customerId = `bench-memory-${label}-${ctx.runId}`;
  const inbox = await openInbox(ctx.runtime.clients, ctx.config, customerId);
  const publisher = await ImageEventPublisher.connect({ config: ctx.config, blobs: ctx.runtime.blobs, secrets: ctx.runtime.secrets, topic });
  try {
    // Consumer first, then the events, so the idle baseline is read before any image exists.
    const worker = await startWorker('stream', {
      args: [topic, groupId],
      env: { ...process.env, ...extraEnv },
      logFile: join(ctx.outDir, `memory-${label}-worker.log`),
      readyTimeoutMs: 90_000,
    });
    try {
      await sleep(500);
      const idleRssMiB = peakRssMiB(worker.pid) ?? Number.NaN;
      const started = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const result = await publisher.publish({ customerId, image: { kind: 'bytes', data: images[i % images.length] as Buffer }, fileName: `large-${i}.jpg` });
        if (result.claimCheck !== undefined) ctx.claimChecks.push(result.claimCheck);
        ids.push(result.eventId);
      }
      const { missing } = await inbox.waitFor(ids, 180_000);
      const run: MemoryRun = {
        setting,
        allocator: processAllocator(worker.pid),
        sharpConcurrency: worker.ready.sharpConcurrency,
        images: count,
        peakRssMiB: peakRssMiB(worker.pid) ?? Number.NaN,
        idleRssMiB,
        wallMs: Math.round(performance.now() - started),
        notProcessed: ids.filter((id) => inbox.arrivals.has(id) && inbox.arrivals.get(id)?.status !== 'PROCESSED').length,
        missing: missing.length,
      };
      ctx.log(`  memory (${setting}): peak RSS ${run.peakRssMiB.toFixed(0)} MiB (idle ${idleRssMiB.toFixed(0)} MiB), ${count} images in ${(run.wallMs / 1000).toFixed(1)} s, allocator ${run.allocator}, sharp.concurrency ${run.sharpConcurrency}`);
      return run;
    } finally {
      await worker.stop();
    }
  } finally {
    for (const [id, arrival] of inbox.arrivals) ctx.created.set(id, arrival);
    await publisher.disconnect();
    await inbox.close();
  }
}

/**
 * Publishes `count` large images per run (a few rounds of the record concurrency) and reads
 * the consumer's VmHWM after the last notification.
 *
 * @default count 3 × config.stream.recordConcurrency
 */
export async function measureMemory(ctx: BenchContext, imageFiles: string[], count = 3 * ctx.config.stream.recordConcurrency): Promise<MemoryResult> {
  const images = imageFiles.map((f) => readFileSync(f));
  const jemalloc = findJemalloc();
  const advice: [string, Record<string, string>] = jemalloc !== undefined ? [`LD_PRELOAD=${jemalloc}`, { LD_PRELOAD: jemalloc }] : ['MALLOC_ARENA_MAX=2', { MALLOC_ARENA_MAX: '2' }];
  const runs = [await measureOnce(ctx, images, count, 'default', {}), await measureOnce(ctx, images, count, advice[0], advice[1])];
  const valid = runs.filter((r) => r.missing === 0 && Number.isFinite(r.peakRssMiB));
  const best = (valid.length > 0 ? valid : runs).reduce((a, b) => (b.peakRssMiB < a.peakRssMiB ? b : a));
  return { runs, best, inputBytes: images.map((i) => i.length) };
}
