import { PipelineError, SourceNotFoundError } from './errors';
import type { Telemetry } from './observability';
import type { ImagePipeline } from './pipeline';
import type { BlobStore, ImageRecord, ImageStatus, MetadataStore } from './ports';

/**
 * The reconciler's EMF metrics, one per kind of repair. The CDKTF alarm watches the same names.
 */
export const RECONCILE_METRICS = {
  recovered: 'ReconcileRecovered',
  failedAbandoned: 'ReconcileFailedAbandoned',
  notifiedLate: 'ReconcileNotifiedLate',
} as const;

/**
 * The reconciler's service name on its log lines and EMF metrics (their `service` dimension),
 * shared by the Lambda entry point and the CDKTF alarm.
 */
export const RECONCILER_SERVICE = 'reconciler' as const;

/** What one reconciliation did (or, in a dry run, would do) to one record. */
export type ReconcileAction = 'recovered' | 'failed-abandoned' | 'notified-late' | 'would-recover' | 'would-fail-abandoned' | 'would-notify' | 'skipped-busy' | 'skipped-raced' | 'error';

/** One line of a {@link ReconcileReport}. */
export interface ReconcileEntry {
  imageId: string;
  /** The status the index showed when the run read it. */
  status: ImageStatus;
  action: ReconcileAction;
  /** Why it was skipped or what failed; never payload bytes. */
  detail?: string;
}

/** What a run did, for the CLI, the Lambda's log and tests. */
export interface ReconcileReport {
  dryRun: boolean;
  /** The UTC days whose index was read, newest first. */
  days: string[];
  /** Records the index returned: every RECEIVED one, and the final ones never announced. */
  scanned: number;
  /** Counts per kind: the same numbers the metrics carry. */
  counts: { recovered: number; failedAbandoned: number; notifiedLate: number; skipped: number; errors: number };
  entries: ReconcileEntry[];
  /** True when a status/day held more than `maxRecords`: the next run continues from the oldest again. */
  truncated: boolean;
}

/** Settings of a {@link Reconciler}. */
export interface ReconcilerOptions {
  /** A RECEIVED record younger than this (by createdAt) is left alone: a worker may still finish it. */
  receivedAfterMs: number;
  /**
   * A final record updated less than this long ago is left alone: the worker that made it final
   * holds its notification lease for this long.
   * @default 30000 (the pipeline's DEFAULT_NOTIFICATION_LEASE_MS)
   */
  notificationLeaseMs: number;
  /** Most records read per status and day in one run. @default 20000 */
  maxRecords: number;
  /** Index page size. @default 500 */
  pageSize?: number;
  /** Records repaired at once. @default 4 */
  concurrency?: number;
}

/** What the reconciler works on: the same ports and pipeline the ingestion paths use. */
export interface ReconcilerDependencies {
  pipeline: ImagePipeline;
  metadata: MetadataStore;
  blobs: BlobStore;
  telemetry: Telemetry;
  options: ReconcilerOptions;
  /** @default () => new Date() */
  clock?: () => Date;
}

const DAY_MS = 86_400_000;

/**
 * Finds records that nothing will finish or announce any more and repairs them: a record left
 * RECEIVED past every retry window is finished from its raw object (or failed as abandoned), a
 * final record whose notification was never published is announced, once.
 *
 * Safe twice at once and beside live traffic: every change goes through the pipeline's
 * conditional transitions and the notification lease, so a second worker's write loses the
 * condition instead of repeating the work; records within their lease or retry window are not
 * touched at all.
 *
 * @example
 * const reconciler = new Reconciler({ pipeline, metadata, blobs, telemetry, options: { receivedAfterMs: 3_600_000, notificationLeaseMs: 30_000, maxRecords: 20_000 } });
 * const report = await reconciler.run();
 */
export class Reconciler {
  private readonly clock: () => Date;

  constructor(private readonly deps: ReconcilerDependencies) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * One pass over today's and yesterday's `byStatusDay` index (UTC days of `createdAt`).
   * A record whose repair fails is reported as `error` and left for the next run.
   *
   * @throws DependencyError when the index itself cannot be read.
   */
  async run({ dryRun = false }: { dryRun?: boolean } = {}): Promise<ReconcileReport> {
    const now = this.clock();
    const days = [now, new Date(now.getTime() - DAY_MS)].map((d) => d.toISOString().slice(0, 10));
    const report: ReconcileReport = { dryRun, days, scanned: 0, counts: { recovered: 0, failedAbandoned: 0, notifiedLate: 0, skipped: 0, errors: 0 }, entries: [], truncated: false };
    const { receivedAfterMs, notificationLeaseMs } = this.deps.options;

    const candidates: { record: ImageRecord; kind: 'received' | 'unannounced' }[] = [];
    for (const day of days) {
      for (const status of ['RECEIVED', 'PROCESSED', 'FAILED'] as const) {
        const records = await this.readStatusDay(status, day, now, report);
        for (const record of records) {
          const age = now.getTime() - Date.parse(status === 'RECEIVED' ? record.createdAt : record.updatedAt);
          if (status === 'RECEIVED' && age > receivedAfterMs) candidates.push({ record, kind: 'received' });
          else if (status !== 'RECEIVED' && record.notifiedAt === undefined && age > notificationLeaseMs) candidates.push({ record, kind: 'unannounced' });
        }
      }
    }

    const concurrency = Math.max(1, this.deps.options.concurrency ?? 4);
    for (let next = 0; next < candidates.length; next += concurrency) {
      const entries = await Promise.all(candidates.slice(next, next + concurrency).map((c) => this.repair(c.record, c.kind, dryRun)));
      for (const entry of entries) this.count(entry, report);
    }

    const { telemetry } = this.deps;
    if (!dryRun) {
      telemetry.count(RECONCILE_METRICS.recovered, report.counts.recovered);
      telemetry.count(RECONCILE_METRICS.failedAbandoned, report.counts.failedAbandoned);
      telemetry.count(RECONCILE_METRICS.notifiedLate, report.counts.notifiedLate);
      telemetry.flush();
    }
    telemetry.info('reconciliation finished', { dryRun, days, scanned: report.scanned, ...report.counts, truncated: report.truncated });
    return report;
  }

  /** Every record of one status/day, oldest first, up to `maxRecords`. */
  private async readStatusDay(status: ImageStatus, day: string, now: Date, report: ReconcileReport): Promise<ImageRecord[]> {
    const { metadata, options } = this.deps;
    const pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 500));
    const records: ImageRecord[] = [];
    const createdBefore = new Date(now.getTime() - (status === 'RECEIVED' ? options.receivedAfterMs : options.notificationLeaseMs)).toISOString();
    let cursor: string | undefined;
    // Bounded by maxRecords: each page adds at least one record or ends the loop.
    for (let page = 0; page <= Math.ceil(options.maxRecords / pageSize); page++) {
      // Final records are only of interest when never announced: the store filters the others out
      // rather than returning every final record of the day (on moto, whose cost is per item
      // returned, that made a run over a full table take minutes; docs/soak.md). Records younger
      // than the threshold are not read at all (`createdBefore`, a key condition: a final record's
      // `updatedAt` is never before its `createdAt`, so none that is old enough is skipped).
      const result = await metadata.listByStatusDay(status, day, { limit: Math.min(pageSize, options.maxRecords - records.length), cursor, unannouncedOnly: status !== 'RECEIVED', createdBefore }, now);
      records.push(...result.items);
      report.scanned += result.items.length;
      cursor = result.cursor;
      if (cursor === undefined) return records;
      if (records.length >= options.maxRecords) break;
    }
    report.truncated = true;
    this.deps.telemetry.warn('reconciler read limit reached', { status, day, maxRecords: options.maxRecords });
    return records;
  }

  private async repair(listed: ImageRecord, kind: 'received' | 'unannounced', dryRun: boolean): Promise<ReconcileEntry> {
    const { pipeline, metadata, blobs } = this.deps;
    const base = { imageId: listed.imageId, status: listed.status };
    try {
      // The index is eventually consistent: decide on the record as it is now.
      const record = await metadata.get(listed.imageId, this.clock());
      if (record === undefined) return { ...base, action: 'skipped-raced', detail: 'the record is gone (expired)' };
      if (kind === 'received') {
        if (record.status !== 'RECEIVED') return { ...base, action: 'skipped-raced', detail: `already ${record.status}` };
        if (dryRun) {
          const rawExists = await blobs.head(record.raw).then(
            () => true,
            (error: unknown) => {
              if (error instanceof SourceNotFoundError) return false;
              throw error;
            },
          );
          return { ...base, action: rawExists ? 'would-recover' : 'would-fail-abandoned' };
        }
        const { outcome } = await pipeline.resumeReceived(record);
        if (outcome === 'raced') return { ...base, action: 'skipped-raced', detail: 'another worker made it final first' };
        return { ...base, action: outcome };
      }
      if (record.notifiedAt !== undefined) return { ...base, action: 'skipped-raced', detail: 'already announced' };
      if (dryRun) return { ...base, action: 'would-notify' };
      const outcome = await pipeline.announceFinal(record.imageId);
      if (outcome === 'notified') return { ...base, action: 'notified-late' };
      return { ...base, action: outcome === 'busy' ? 'skipped-busy' : 'skipped-raced', detail: outcome === 'busy' ? 'another worker holds the notification lease' : 'already announced' };
    } catch (error) {
      this.deps.telemetry.error('reconciling a record failed; the next run retries it', { imageId: listed.imageId, error: (error as Error).message });
      return { ...base, action: 'error', detail: error instanceof PipelineError ? error.code : 'UNEXPECTED' };
    }
  }

  private count(entry: ReconcileEntry, report: ReconcileReport): void {
    report.entries.push(entry);
    const { counts } = report;
    if (entry.action === 'recovered') counts.recovered += 1;
    else if (entry.action === 'failed-abandoned') counts.failedAbandoned += 1;
    else if (entry.action === 'notified-late') counts.notifiedLate += 1;
    else if (entry.action === 'error') counts.errors += 1;
    else if (entry.action.startsWith('skipped')) counts.skipped += 1;
  }
}
