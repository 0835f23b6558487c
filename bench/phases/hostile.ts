/**
 * Phase 8: peak RSS of one stream consumer process fed a hostile mix — decompression bombs
 * (tiny files that decode huge: a 10000×10000 GIF, 16-bit RGBA PNG headers, a 20000×20000
 * PNG, and a 7000×7000 1-bit PNG that fits the decode budget and is really decoded) mixed with
 * normal images — with the Lambda's allocator setting (`MALLOC_ARENA_MAX=2`). The decode
 * memory budget (`MAX_DECODE_BYTES`, 256 MiB) refuses the over-budget ones from their headers
 * and bounds the decodes running at once; the figure is the consumer's VmHWM after the last
 * notification. Target: ≤ 512 MiB (issue 12).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeDeepPngHeader, makeGifBomb, makePixelBombPng } from '../../test/helpers/images';
import { ImageEventPublisher } from '../../kafka';
import { createBenchTopic, type BenchContext } from '../context';
import type { CorpusImage } from '../corpus';
import { openInbox } from '../inbox';
import { peakRssMiB, processAllocator } from '../measure';
import { startWorker } from '../protocol';

/** What the hostile mix measured. */
export interface HostileResult {
  /** The allocator setting the consumer ran with. */
  setting: string;
  allocator: string;
  images: number;
  /** Events per kind in the mix. */
  mix: Record<string, number>;
  peakRssMiB: number;
  idleRssMiB: number;
  wallMs: number;
  /** Final status per kind: every bomb FAILED with its code, every normal image PROCESSED. */
  outcomes: Record<string, Record<string, number>>;
  missing: number;
}

/** The target the issue sets for the hostile mix. */
export const HOSTILE_PEAK_RSS_LIMIT_MIB = 512;

/**
 * Publishes `rounds` rounds of the mix, interleaved, and reads the consumer's peak RSS.
 *
 * @default rounds 3
 */
export async function measureHostileMix(ctx: BenchContext, normal: readonly CorpusImage[], rounds = 3): Promise<HostileResult> {
  const kinds: [string, Buffer][] = [
    ['gif-bomb-10000x10000', makeGifBomb({ width: 10_000, height: 10_000 })],
    ['png16-header-9000x9000', makeDeepPngHeader({ width: 9000, height: 9000 })],
    ['png-bomb-20000x20000', makePixelBombPng({ width: 20_000, height: 20_000 })],
    ['png-bomb-7000x7000-in-budget', makePixelBombPng({ width: 7000, height: 7000 })],
    ...normal.map((image): [string, Buffer] => [`normal-${image.name}`, image.bytes]),
  ];
  const topic = await createBenchTopic(ctx, `bench-hostile-${ctx.runId}`);
  const groupId = `bench-hostile-${ctx.runId}`;
  ctx.groups.push(groupId);
  const customerId = `bench-hostile-${ctx.runId}`;
  const inbox = await openInbox(ctx.runtime.clients, ctx.config, customerId);
  const publisher = await ImageEventPublisher.connect({ config: ctx.config, blobs: ctx.runtime.blobs, secrets: ctx.runtime.secrets, topic });
  const setting = 'MALLOC_ARENA_MAX=2';
  try {
    const worker = await startWorker('stream', {
      args: [topic, groupId],
      env: { ...process.env, MALLOC_ARENA_MAX: '2' },
      logFile: join(ctx.outDir, 'hostile-worker.log'),
      readyTimeoutMs: 90_000,
    });
    try {
      await sleep(500);
      const idleRssMiB = peakRssMiB(worker.pid) ?? Number.NaN;
      const started = performance.now();
      const kindOf = new Map<string, string>();
      for (let round = 0; round < rounds; round++) {
        for (const [kind, bytes] of kinds) {
          const result = await publisher.publish({ customerId, image: { kind: 'bytes', data: bytes }, fileName: `${kind}-${round}` });
          if (result.claimCheck !== undefined) ctx.claimChecks.push(result.claimCheck);
          kindOf.set(result.eventId, kind);
        }
      }
      const ids = [...kindOf.keys()];
      const { missing } = await inbox.waitFor(ids, 300_000);
      const outcomes: Record<string, Record<string, number>> = {};
      for (const id of ids) {
        const kind = kindOf.get(id) as string;
        const arrival = inbox.arrivals.get(id);
        const label = arrival === undefined ? 'missing' : arrival.status === 'FAILED' ? `FAILED ${arrival.errorCode ?? ''}`.trim() : arrival.status;
        const perKind = (outcomes[kind] ??= {});
        perKind[label] = (perKind[label] ?? 0) + 1;
      }
      const result: HostileResult = {
        setting,
        allocator: processAllocator(worker.pid),
        images: ids.length,
        mix: Object.fromEntries(kinds.map(([kind]) => [kind, rounds])),
        peakRssMiB: peakRssMiB(worker.pid) ?? Number.NaN,
        idleRssMiB,
        wallMs: Math.round(performance.now() - started),
        outcomes,
        missing: missing.length,
      };
      ctx.log(`  hostile mix (${setting}): peak RSS ${result.peakRssMiB.toFixed(0)} MiB (idle ${idleRssMiB.toFixed(0)} MiB, target ≤ ${HOSTILE_PEAK_RSS_LIMIT_MIB}), ${ids.length} events in ${(result.wallMs / 1000).toFixed(1)} s`);
      for (const [kind, counts] of Object.entries(outcomes)) ctx.log(`    ${kind}: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}`);
      return result;
    } finally {
      await worker.stop();
    }
  } finally {
    for (const [id, arrival] of inbox.arrivals) ctx.created.set(id, arrival);
    await publisher.disconnect();
    await inbox.close();
  }
}
