/**
 * One stream-consumer process whose memory is measured while a phase feeds it images (phases 5
 * and 8): its own topic, group, customer and notification inbox, the idle baseline before the
 * first event, and the peak RSS (VmHWM) after the last notification.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageEventPublisher } from '../../kafka';
import { createBenchTopic, type BenchContext } from '../context';
import { openInbox, type NotificationInbox } from '../inbox';
import { peakRssMiB, processAllocator } from '../measure';
import { startWorker } from '../protocol';

/** Options of {@link measureConsumerRss}. */
export interface ConsumerRssOptions {
  /** Names the run's topic, group and customer (`bench-<name>-<runId>`) and its log (`<name>-worker.log`). */
  name: string;
  /** The consumer's environment, e.g. with an allocator setting. */
  env: NodeJS.ProcessEnv;
  /** @default 90_000 */
  readyTimeoutMs?: number;
}

/** What a feed gets: a publisher on the consumer's topic, and the inbox of its customer. */
export interface ConsumerFeed {
  publisher: ImageEventPublisher;
  inbox: NotificationInbox;
  customerId: string;
}

/** The measured consumer and what the feed returned. */
export interface ConsumerRss<T> {
  fed: T;
  allocator: string;
  sharpConcurrency: number;
  /** Peak RSS before the first image arrived: the process' own baseline. */
  idleRssMiB: number;
  /** Peak RSS (VmHWM) once the feed returned. */
  peakRssMiB: number;
  /** From the first publish to the feed's return. */
  wallMs: number;
}

/**
 * Starts a stream-consumer worker, reads its idle RSS, runs `feed` (which publishes its images
 * and waits for their notifications), then reads the worker's peak RSS and allocator and stops
 * it. Every arrival is recorded in `ctx.created` for the clean-up.
 */
export async function measureConsumerRss<T>(ctx: BenchContext, options: ConsumerRssOptions, feed: (io: ConsumerFeed) => Promise<T>): Promise<ConsumerRss<T>> {
  const topic = await createBenchTopic(ctx, `bench-${options.name}-${ctx.runId}`);
  const groupId = `bench-${options.name}-${ctx.runId}`;
  ctx.groups.push(groupId);
  const customerId = `bench-${options.name}-${ctx.runId}`;
  const inbox = await openInbox(ctx.runtime.clients, ctx.config, customerId);
  const publisher = await ImageEventPublisher.connect({ config: ctx.config, blobs: ctx.runtime.blobs, secrets: ctx.runtime.secrets, topic });
  try {
    // Consumer first, then the events, so the idle baseline is read before any image exists.
    const worker = await startWorker('stream', {
      args: [topic, groupId],
      env: options.env,
      logFile: join(ctx.outDir, `${options.name}-worker.log`),
      readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
    });
    try {
      await sleep(500);
      const idleRssMiB = peakRssMiB(worker.pid) ?? Number.NaN;
      const started = performance.now();
      const fed = await feed({ publisher, inbox, customerId });
      const wallMs = Math.round(performance.now() - started);
      return {
        fed,
        allocator: processAllocator(worker.pid),
        sharpConcurrency: worker.ready.sharpConcurrency,
        idleRssMiB,
        peakRssMiB: peakRssMiB(worker.pid) ?? Number.NaN,
        wallMs,
      };
    } finally {
      await worker.stop();
    }
  } finally {
    for (const [id, arrival] of inbox.arrivals) ctx.created.set(id, arrival);
    await publisher.disconnect();
    await inbox.close();
  }
}
