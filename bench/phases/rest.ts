/**
 * Phase 3: the REST path end to end. The API runs behind the local HTTP adapter in a child
 * process; the driver uploads the corpus round-robin at a few client concurrencies. Every
 * request is synchronous (201 once processed, stored and announced), so a response is the
 * completion, and its status and record are checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../context';
import type { Arrival } from '../inbox';
import { CpuLedger, ThreadLedger, latencySummary } from '../measure';
import { startWorker } from '../protocol';
import type { CorpusImage } from '../corpus';
import { createApiKey, revokeApiKey } from '../../core/adapters/secrets/api-key-secret';

/** One client concurrency. */
export interface RestRun {
  concurrency: number;
  requests: number;
  requestsPerSec: number;
  latencyMs: ReturnType<typeof latencySummary>;
  /** Responses other than 201 with a PROCESSED record. */
  errors: number;
  /** CPU ms of the API process per request. */
  cpuMsPerImage: number;
  /** CPU ms per request of every process we know of (api, driver, kafka, dynamodb, moto, machine, other). */
  cpuMsPerImageBy: Record<string, number>;
  /** The API process' CPU ms per request by thread: main (JavaScript), libvips, other. */
  apiThreadCpuMsPerImage: Record<string, number>;
}

/** What the REST phase measured. */
export interface RestResult {
  best: RestRun;
  runs: RestRun[];
}

interface ApiRecord {
  imageId: string;
  status: string;
  raw: { bucket: string; key: string };
  variants?: Record<string, { key: string }>;
}

/** Registers an API key for this run's customer; the cleanup removes it again. */
async function registerKey(ctx: BenchContext, customerId: string): Promise<string> {
  const { secrets } = ctx.runtime.clients;
  const { key, entry } = await createApiKey(secrets, ctx.config.apiKeySecretId, customerId);
  ctx.cleanups.push(() => revokeApiKey(secrets, ctx.config.apiKeySecretId, entry.sha256));
  return key;
}

const CONTENT_TYPES: Record<CorpusImage['format'], string> = { jpeg: 'image/jpeg', png: 'image/png' };

/**
 * Uploads `requestsPerLevel` images at each client concurrency, after a warm-up.
 * @throws Error when the API process fails to start.
 */
export async function measureRest(ctx: BenchContext, corpus: readonly CorpusImage[], concurrencies: readonly number[], requestsPerLevel: number): Promise<RestResult> {
  const bodies = ctx.corpusFiles.map((f) => readFileSync(f));
  const customerId = `bench-rest-${ctx.runId}`;
  const apiKey = await registerKey(ctx, customerId);
  const execArgv = ctx.options.profile ? ['--cpu-prof', '--cpu-prof-dir', join(ctx.outDir, 'profiles'), '--cpu-prof-name', `rest-${ctx.runId}.cpuprofile`] : [];
  const worker = await startWorker('rest', { execArgv, logFile: join(ctx.outDir, 'rest-worker.log') });
  const url = `${worker.ready.url as string}/v1/images`;

  let sent = 0;
  const upload = async (): Promise<{ ms: number; ok: boolean }> => {
    const index = sent++ % bodies.length;
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      body: bodies[index] as Buffer,
      headers: { Authorization: `Bearer ${apiKey}`, 'content-type': CONTENT_TYPES[(corpus[index] as CorpusImage).format] },
    });
    const text = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 201) return { ms, ok: false };
    const record = JSON.parse(text) as ApiRecord;
    const arrival: Arrival = { imageId: record.imageId, status: record.status, type: 'rest', at: performance.now(), raw: record.raw, processed: Object.values(record.variants ?? {}) };
    ctx.created.set(record.imageId, arrival);
    return { ms, ok: record.status === 'PROCESSED' };
  };

  const runs: RestRun[] = [];
  try {
    for (let i = 0; i < bodies.length; i++) await upload();
    for (const concurrency of concurrencies) {
      const latencies: number[] = [];
      let errors = 0;
      let issued = 0;
      const ledger = new CpuLedger(new Map([['api', worker.pid], ['driver', process.pid], ...ctx.stackPids]));
      const threads = new ThreadLedger(worker.pid);
      const started = performance.now();
      const client = async (): Promise<void> => {
        while (issued < requestsPerLevel) {
          issued++;
          try {
            const { ms, ok } = await upload();
            latencies.push(ms);
            if (!ok) errors++;
          } catch {
            errors++;
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, client));
      const wallMs = performance.now() - started;
      const cpu = ledger.delta();
      const split = threads.delta();
      const run: RestRun = {
        concurrency,
        requests: requestsPerLevel,
        requestsPerSec: (requestsPerLevel - errors) / (wallMs / 1000),
        latencyMs: latencySummary(latencies),
        errors,
        cpuMsPerImage: (cpu.api ?? Number.NaN) / requestsPerLevel,
        cpuMsPerImageBy: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round((v / requestsPerLevel) * 10) / 10])),
        apiThreadCpuMsPerImage: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Math.round((v / requestsPerLevel) * 10) / 10])),
      };
      runs.push(run);
      ctx.log(`  REST ×${concurrency}: ${run.requestsPerSec.toFixed(2)} req/s, ${JSON.stringify(run.latencyMs)} ms, errors ${errors}; per image by process: ${JSON.stringify(run.cpuMsPerImageBy)}; API by thread: ${JSON.stringify(run.apiThreadCpuMsPerImage)}`);
    }
  } finally {
    await worker.stop();
  }
  const best = runs.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
  return { best, runs };
}
