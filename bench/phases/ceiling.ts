/**
 * Phase 1, the ceiling: bare sharp in a child process over the corpus, for each strategy and a
 * few concurrencies (1, the core count and multiples of it); the fastest is the ceiling.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from '../context';
import { processAllocator, processEnvironmentValue } from '../measure';
import { measuredRequest, startWorker, type CeilingStrategy } from '../protocol';

/** One measured configuration. */
export interface CeilingRun {
  strategy: CeilingStrategy;
  concurrency: number;
  images: number;
  imagesPerSec: number;
  cpuMsPerImage: number;
  /** CPU ms of the whole machine during the run, and of processes other than the worker. */
  machineCpuMs: number;
  otherCpuMs: number;
  /** The worker's CPU ms per image by thread: main (JavaScript), libvips, other. */
  threadCpuMsPerImage: Record<string, number>;
}

/** The ceiling and how it was found. */
export interface CeilingResult {
  best: CeilingRun;
  runs: CeilingRun[];
  sharpConcurrency: number;
  uvThreadpoolSize: string;
  allocator: string;
}

/** Corpus passes per configuration: enough for a few seconds of work per run. */
const PASSES = 8;

/**
 * Measures every strategy × concurrency after one warm-up pass each.
 * @throws Error when the worker fails.
 */
export async function measureCeiling(ctx: BenchContext): Promise<CeilingResult> {
  const cores = availableParallelism();
  const concurrencies = [...new Set([1, cores, cores * 2, cores * 4])].sort((a, b) => a - b);
  const worker = await startWorker('ceiling', { args: ctx.corpusFiles, logFile: join(ctx.outDir, 'ceiling-worker.log') });
  const runs: CeilingRun[] = [];
  try {
    const images = ctx.corpusFiles.length * PASSES;
    for (const strategy of ['decode-once', 'clone'] as const) {
      worker.send({ type: 'ceiling', strategy, concurrency: cores, images: ctx.corpusFiles.length });
      await worker.next('ceiling-done', 120_000);
      for (const concurrency of concurrencies) {
        const { done, cpu, threadCpuMsPerImage } = await measuredRequest(worker, { type: 'ceiling', strategy, concurrency, images }, 'ceiling-done', images, 300_000);
        const run: CeilingRun = {
          strategy,
          concurrency,
          images,
          imagesPerSec: images / (done.wallMs / 1000),
          cpuMsPerImage: (cpu.worker ?? Number.NaN) / images,
          machineCpuMs: cpu.machine ?? 0,
          otherCpuMs: cpu.other ?? 0,
          threadCpuMsPerImage,
        };
        runs.push(run);
        ctx.log(`  ceiling ${strategy} ×${concurrency}: ${run.imagesPerSec.toFixed(2)} img/s, ${run.cpuMsPerImage.toFixed(1)} CPU-ms/img, by thread ${JSON.stringify(run.threadCpuMsPerImage)} (other processes: ${run.otherCpuMs} ms)`);
      }
    }
    const best = runs.reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
    return {
      best,
      runs,
      sharpConcurrency: worker.ready.sharpConcurrency,
      uvThreadpoolSize: processEnvironmentValue(worker.pid, 'UV_THREADPOOL_SIZE') ?? 'unset (libuv default 4)',
      allocator: processAllocator(worker.pid),
    };
  } finally {
    await worker.stop();
  }
}
