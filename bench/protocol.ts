/**
 * Messages between the benchmark driver and the worker processes it measures. Each worker is
 * a child process so its CPU time and memory are exactly the measured code's, nothing else.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CpuLedger, ThreadLedger } from './measure';

/** A bare-sharp run the ceiling worker is asked to do. */
export interface CeilingRequest {
  type: 'ceiling';
  strategy: CeilingStrategy;
  /** Images in flight at once. */
  concurrency: number;
  /** Images to process (the corpus, round-robin). */
  images: number;
}

/**
 * How bare sharp makes the variants. `decode-once`: one decode (shrink-on-load) to a raw
 * intermediate, every variant cut from it. `clone`: one input, a `clone()` per variant run in
 * parallel, the multiple-output pattern of sharp's documentation.
 */
export type CeilingStrategy = 'decode-once' | 'clone';

/**
 * A run of the whole pipeline in the worker's own process: with the AWS adapters on the local
 * stack, or with every port in memory, so the difference is what the AWS calls cost.
 */
export interface PipelineRequest {
  type: 'pipeline';
  ports: 'aws' | 'memory';
  /** Images in flight at once. */
  concurrency: number;
  /** Images to ingest (the corpus, round-robin), each under a new id. */
  images: number;
}

/** What a pipeline run stored (with the AWS adapters), for the driver to remove at the end. */
export interface PipelineCreated {
  imageId: string;
  raw: { bucket: string; key: string };
  processedBucket: string;
  processed: { key: string }[];
}

/** What the driver sends a worker. */
export type DriverMessage = CeilingRequest | PipelineRequest | { type: 'stop' };

/** What a worker sends the driver. */
export type WorkerMessage =
  | { type: 'ready'; sharpConcurrency: number; url?: string }
  | { type: 'ceiling-done'; images: number; wallMs: number; outputBytes: number }
  | { type: 'pipeline-done'; images: number; wallMs: number; portCalls: number; created: PipelineCreated[] }
  | { type: 'failed'; message: string };

/** Sends a message to the driver; a worker without an IPC channel was started by mistake. */
export function toDriver(message: WorkerMessage): void {
  if (process.send === undefined) throw new Error('bench workers run only as children of bench/run.js');
  process.send(message);
}

/** A started worker process. */
export interface Worker {
  child: ChildProcess;
  pid: number;
  /** The worker's first message. */
  ready: Extract<WorkerMessage, { type: 'ready' }>;
  /** Resolves with the next message of `type`; rejects when the worker fails or exits first. */
  next<T extends WorkerMessage['type']>(type: T, timeoutMs: number): Promise<Extract<WorkerMessage, { type: T }>>;
  send(message: DriverMessage): void;
  /** Asks the worker to stop, kills it after `graceMs`, and waits for it to exit. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Worker>();

/** Stops every worker still running (after a phase that timed out, or on failure). */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...live].map((w) => w.stop(5000)));
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** Arguments after the script. @default [] */
  args?: string[];
  /** Environment of the child. @default the driver's */
  env?: NodeJS.ProcessEnv;
  /** Node flags, e.g. `--cpu-prof`. @default [] */
  execArgv?: string[];
  /** Where the worker's stdout and stderr go. */
  logFile: string;
  /** @default 60000 */
  readyTimeoutMs?: number;
}

/**
 * Forks `bench/workers/<name>.js` and waits for its `ready` message.
 *
 * @throws Error when the worker fails, exits or stays silent before it is ready.
 */
export async function startWorker(name: string, options: StartWorkerOptions): Promise<Worker> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  const child = fork(join(__dirname, 'workers', `${name}.js`), options.args ?? [], {
    env: options.env,
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', fd, fd, 'ipc'],
    serialization: 'advanced',
  });
  closeSync(fd);
  const inbox: WorkerMessage[] = [];
  const waiters: (() => void)[] = [];
  let exited: string | undefined;
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  child.on('message', (m: WorkerMessage) => {
    inbox.push(m);
    wake();
  });
  child.on('exit', (code, signal) => {
    exited = `worker ${name} exited (code ${String(code)}, signal ${String(signal)}); see ${options.logFile}`;
    wake();
  });

  const next = async <T extends WorkerMessage['type']>(type: T, timeoutMs: number): Promise<Extract<WorkerMessage, { type: T }>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = inbox.findIndex((m) => m.type === 'failed');
      if (failed !== -1) throw new Error(`worker ${name} failed: ${(inbox[failed] as { message: string }).message}`);
      const index = inbox.findIndex((m) => m.type === type);
      if (index !== -1) return inbox.splice(index, 1)[0] as Extract<WorkerMessage, { type: T }>;
      if (exited !== undefined) throw new Error(exited);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`worker ${name} sent no ${type} within ${timeoutMs} ms; see ${options.logFile}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const stop = async (graceMs = 30_000): Promise<void> => {
    if (exited !== undefined || child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies DriverMessage);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  };

  try {
    const ready = await next('ready', options.readyTimeoutMs ?? 60_000);
    const worker: Worker = { child, pid: child.pid as number, ready, next, send: (m) => child.send(m), stop };
    live.add(worker);
    child.once('exit', () => live.delete(worker));
    return worker;
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}

/** A worker's reply with the CPU it spent getting there. */
export interface MeasuredReply<T extends WorkerMessage['type']> {
  done: Extract<WorkerMessage, { type: T }>;
  /** The worker's CPU ms, plus `machine` and `other` (see CpuLedger). */
  cpu: Record<string, number>;
  /** The worker's CPU ms per image by thread group, rounded to 0.1 ms. */
  threadCpuMsPerImage: Record<string, number>;
}

/** Sends `request` and waits for the `doneType` reply, measuring the worker's CPU meanwhile. */
export async function measuredRequest<T extends WorkerMessage['type']>(worker: Worker, request: DriverMessage, doneType: T, images: number, timeoutMs: number): Promise<MeasuredReply<T>> {
  const ledger = new CpuLedger(new Map([['worker', worker.pid]]));
  const threads = new ThreadLedger(worker.pid);
  worker.send(request);
  const done = await worker.next(doneType, timeoutMs);
  const cpu = ledger.delta();
  const split = threads.delta();
  return { done, cpu, threadCpuMsPerImage: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Math.round((v / images) * 10) / 10])) };
}
