/**
 * Phase 8: peak RSS of one stream consumer process fed a hostile mix — decompression bombs
 * (tiny files that decode huge: a 10000×10000 GIF, 16-bit RGBA PNG headers, a 20000×20000
 * PNG, and a 7000×7000 1-bit PNG that fits the decode budget and is really decoded) mixed with
 * normal images — with the Lambda's allocator setting (`MALLOC_ARENA_MAX=2`). The decode
 * memory budget (`MAX_DECODE_BYTES`, 256 MiB) refuses the over-budget ones from their headers
 * and bounds the decodes running at once; the figure is the consumer's VmHWM after the last
 * notification. Target: ≤ 512 MiB (issue 12).
 */
import { makeDeepPngHeader, makeGifBomb, makePixelBombPng } from '../../test/helpers/images';
import type { BenchContext } from '../context';
import type { CorpusImage } from '../corpus';
import { measureConsumerRss } from './consumer-rss';

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
  const setting = 'MALLOC_ARENA_MAX=2';
  const measured = await measureConsumerRss(ctx, { name: 'hostile', env: { ...process.env, MALLOC_ARENA_MAX: '2' } }, async ({ publisher, inbox, customerId }) => {
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
    return { images: ids.length, outcomes, missing: missing.length };
  });
  const result: HostileResult = {
    setting,
    allocator: measured.allocator,
    images: measured.fed.images,
    mix: Object.fromEntries(kinds.map(([kind]) => [kind, rounds])),
    peakRssMiB: measured.peakRssMiB,
    idleRssMiB: measured.idleRssMiB,
    wallMs: measured.wallMs,
    outcomes: measured.fed.outcomes,
    missing: measured.fed.missing,
  };
  ctx.log(`  hostile mix (${setting}): peak RSS ${result.peakRssMiB.toFixed(0)} MiB (idle ${result.idleRssMiB.toFixed(0)} MiB, target ≤ ${HOSTILE_PEAK_RSS_LIMIT_MIB}), ${result.images} events in ${(result.wallMs / 1000).toFixed(1)} s`);
  for (const [kind, counts] of Object.entries(result.outcomes)) ctx.log(`    ${kind}: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  return result;
}
