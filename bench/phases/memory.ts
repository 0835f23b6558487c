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
import type { BenchContext } from '../context';
import { findJemalloc } from '../measure';
import { measureConsumerRss } from './consumer-rss';

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
  const measured = await measureConsumerRss(ctx, { name: `memory-${label}`, env: { ...process.env, ...extraEnv } }, async ({ publisher, inbox, customerId }) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const result = await publisher.publish({ customerId, image: { kind: 'bytes', data: images[i % images.length] as Buffer }, fileName: `large-${i}.jpg` });
      if (result.claimCheck !== undefined) ctx.claimChecks.push(result.claimCheck);
      ids.push(result.eventId);
    }
    const { missing } = await inbox.waitFor(ids, 180_000);
    return { missing: missing.length, notProcessed: ids.filter((id) => inbox.arrivals.has(id) && inbox.arrivals.get(id)?.status !== 'PROCESSED').length };
  });
  const run: MemoryRun = {
    setting,
    allocator: measured.allocator,
    sharpConcurrency: measured.sharpConcurrency,
    images: count,
    peakRssMiB: measured.peakRssMiB,
    idleRssMiB: measured.idleRssMiB,
    wallMs: measured.wallMs,
    notProcessed: measured.fed.notProcessed,
    missing: measured.fed.missing,
  };
  ctx.log(`  memory (${setting}): peak RSS ${run.peakRssMiB.toFixed(0)} MiB (idle ${run.idleRssMiB.toFixed(0)} MiB), ${count} images in ${(run.wallMs / 1000).toFixed(1)} s, allocator ${run.allocator}, sharp.concurrency ${run.sharpConcurrency}`);
  return run;
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
