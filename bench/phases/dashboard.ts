/**
 * Phase 8, dashboard: the time to compute the local dashboard page's data (every visual's SQL,
 * through the dialect shim, in the embedded engine) over 100,000 synthetic change records — the
 * records an ingestion of about 50,000 images writes (INSERT as RECEIVED, MODIFY to its final status).
 * In-process; needs no server, so it can run alone: `make bench-dashboard`.
 */
import { DashboardEngine } from '../../local/dashboard/engine';
import { changeRecordsFor, type SyntheticImage } from '../../test/helpers/change-records';
import { seededUint32 } from '../../test/helpers/images';

/** The page's query time and the work behind it. */
export interface DashboardBenchResult {
  changeRecords: number;
  /** Milliseconds to load the JSON lines into the engine (once, as objects are delivered). */
  loadMs: number;
  /** Milliseconds per page refresh (all visuals, window 24 h, all customers), each repeat. */
  queryMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Same for one customer over 7 days. */
  customerWeekMedianMs: number;
  /** Median of refreshes with no new delivery since the last (`image_state` kept): the page's usual 10 s refresh. */
  steadyMedianMs: number;
}

const SOURCES = ['api', 'upload', 'kafka'] as const;
const CODES = ['UNDECODABLE_IMAGE', 'UNSUPPORTED_IMAGE', 'IMAGE_TOO_LARGE', 'TOO_MANY_PIXELS', 'SOURCE_FETCH_FAILED'] as const;
const FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif'] as const;

/**
 * Exactly `records` change records (fixed seed): about half as many images over the last 7 days,
 * 90 % processed, 9 % failed, 1 % still RECEIVED (one record each).
 */
export function syntheticChangeLines(records = 100_000, now = new Date(), seed = 14): { lines: string[]; dt: string }[] {
  const next = seededUint32(seed);
  const pick = <T>(items: readonly T[]): T => items[next() % items.length] as T;
  const byDay = new Map<string, string[]>();
  let count = 0;
  for (let i = 0; count < records; i += 1) {
    const createdAt = new Date(now.getTime() - (next() % (7 * 86_400)) * 1000);
    const roll = next() % 100;
    const image: SyntheticImage = {
      imageId: `bench-${seed}-${i}`,
      customerId: `customer-${next() % 40}`,
      source: pick(SOURCES),
      status: records - count === 1 || roll >= 99 ? 'RECEIVED' : roll < 90 ? 'PROCESSED' : 'FAILED',
      createdAt,
      processingMs: 80 + (next() % 2000),
      errorCode: pick(CODES),
      format: pick(FORMATS),
      bytes: 20_000 + (next() % 4_000_000),
    };
    for (const record of changeRecordsFor(image)) {
      count += 1;
      const dt = new Date(record.dynamodb.ApproximateCreationDateTime).toISOString().slice(0, 10);
      const lines = byDay.get(dt) ?? [];
      lines.push(JSON.stringify(record));
      byDay.set(dt, lines);
    }
  }
  return [...byDay].map(([dt, lines]) => ({ dt, lines }));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * Loads the synthetic records, then times `repeats` page refreshes after one warm-up.
 * @default repeats 7
 */
export async function measureDashboardQuery(repeats = 7): Promise<DashboardBenchResult> {
  const now = new Date();
  const partitions = syntheticChangeLines(100_000, now);
  const engine = await DashboardEngine.create({ stuckAfterSeconds: 900, retentionDays: 7 });
  try {
    const loadStarted = performance.now();
    for (const { lines, dt } of partitions) await engine.load(lines, dt);
    const loadMs = performance.now() - loadStarted;
    const changeRecords = engine.recordCount;
    if (changeRecords !== 100_000) throw new Error(`expected 100,000 change records, loaded ${changeRecords}`);
    // Each repeat recomputes image_state too: the cost of the first refresh after a delivery.
    const time = async (window: '24h' | '7d', customerId: string, fresh = true): Promise<number> => {
      if (fresh) engine.invalidate();
      const started = performance.now();
      const data = await engine.query({ window, customerId, now });
      const ms = performance.now() - started;
      // The figures are checked so a query that returned nothing cannot pass as fast.
      if (Number(data.visuals.totals?.[0]?.images ?? 0) === 0) throw new Error('the dashboard query returned no images');
      return ms;
    };
    await time('24h', '');
    const queryMs: number[] = [];
    for (let i = 0; i < repeats; i += 1) queryMs.push(await time('24h', ''));
    const customerWeek: number[] = [];
    for (let i = 0; i < 3; i += 1) customerWeek.push(await time('7d', 'customer-7'));
    const steady: number[] = [];
    for (let i = 0; i < repeats; i += 1) steady.push(await time('24h', '', false));
    return {
      changeRecords,
      loadMs,
      queryMs,
      medianMs: median(queryMs),
      minMs: Math.min(...queryMs),
      maxMs: Math.max(...queryMs),
      customerWeekMedianMs: median(customerWeek),
      steadyMedianMs: median(steady),
    };
  } finally {
    engine.close();
  }
}
