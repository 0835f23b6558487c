/**
 * Phase 4b, where our CPU per image goes: the shared pipeline in a child process over the
 * corpus, once with every port in memory and once with the AWS adapters on the local stack,
 * at the consumer's record concurrency. The first is our code plus sharp; the difference is
 * what the AWS calls cost this process, which the ratio target has to fit in.
 */
import { join } from 'node:path';
import type { BenchContext } from '../context';
import { measuredRequest, startWorker, type PipelineCreated } from '../protocol';

/** One measured configuration. */
export interface BreakdownRun {
  ports: 'memory' | 'aws';
  images: number;
  cpuMsPerImage: number;
  portCallsPerImage: number;
  threadCpuMsPerImage: Record<string, number>;
}

/** Both runs, and the CPU per AWS call they imply. */
export interface BreakdownResult {
  memory: BreakdownRun;
  aws: BreakdownRun;
  awsCpuMsPerImage: number;
  cpuMsPerAwsCall: number;
}

/** Corpus passes per configuration. */
const PASSES = 8;

/**
 * Measures the pipeline with in-memory ports, then with the AWS adapters, each after a warm-up
 * pass. Images stored with the AWS adapters are recorded in `ctx.created` for clean-up.
 * @throws Error when the worker fails.
 */
export async function measureBreakdown(ctx: BenchContext): Promise<BreakdownResult> {
  const concurrency = ctx.config.stream.recordConcurrency;
  const worker = await startWorker('pipeline', { args: [`bench-${ctx.runId}-breakdown`, ...ctx.corpusFiles], logFile: join(ctx.outDir, 'pipeline-worker.log') });
  try {
    const measure = async (ports: 'memory' | 'aws'): Promise<BreakdownRun> => {
      const remember = (done: { created: PipelineCreated[] }): void => {
        for (const c of done.created) ctx.created.set(c.imageId, { ...c, status: 'PROCESSED', type: 'image.processed', at: 0 });
      };
      worker.send({ type: 'pipeline', ports, concurrency, images: ctx.corpusFiles.length });
      remember(await worker.next('pipeline-done', 120_000));
      const images = ctx.corpusFiles.length * PASSES;
      const { done, cpu, threadCpuMsPerImage } = await measuredRequest(worker, { type: 'pipeline', ports, concurrency, images }, 'pipeline-done', images, 300_000);
      remember(done);
      const run: BreakdownRun = {
        ports,
        images,
        cpuMsPerImage: (cpu.worker ?? Number.NaN) / images,
        portCallsPerImage: done.portCalls / images,
        threadCpuMsPerImage,
      };
      ctx.log(`  pipeline, ports ${ports}: ${run.cpuMsPerImage.toFixed(1)} CPU-ms/img, ${run.portCallsPerImage.toFixed(1)} port calls/img, by thread ${JSON.stringify(run.threadCpuMsPerImage)}`);
      return run;
    };
    const memory = await measure('memory');
    const aws = await measure('aws');
    const awsCpuMsPerImage = aws.cpuMsPerImage - memory.cpuMsPerImage;
    return { memory, aws, awsCpuMsPerImage, cpuMsPerAwsCall: awsCpuMsPerImage / aws.portCallsPerImage };
  } finally {
    await worker.stop();
  }
}
