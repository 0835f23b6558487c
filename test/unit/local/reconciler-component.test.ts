/**
 * The reconciler's schedule inside `ingest start` (the local stand-in for EventBridge Scheduler):
 * a pass per interval, one pass at a time, a failed pass retried by the next tick, the report
 * logged only when a pass did something, and a stop that waits for the pass in flight. The
 * reconciler itself is a stand-in here; its passes on the real stack are in
 * test/integration/reconciler.test.ts.
 */
import { loadConfig } from '../../../core';
import type { ReconcileReport } from '../../../core/runtime';
import { reconcilerComponent, type ScheduledReconciler } from '../../../local/commands/reconcile';

// A local configuration (an endpoint set): no server is contacted, the reconciler is a stand-in.
const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000', RECONCILE_INTERVAL_SECONDS: '10' });

function report(counts: Partial<ReconcileReport['counts']> = {}, entries: ReconcileReport['entries'] = []): ReconcileReport {
  return { dryRun: false, days: ['2026-12-01', '2026-11-30'], scanned: entries.length, counts: { recovered: 0, failedAbandoned: 0, notifiedLate: 0, skipped: 0, errors: 0, ...counts }, entries, truncated: false };
}

/** A reconciler whose passes the test settles by hand, in order. */
function manualReconciler() {
  const pending: { resolve(r: ReconcileReport): void; reject(e: Error): void }[] = [];
  let closed = 0;
  const reconciler: ScheduledReconciler = {
    run: () => new Promise<ReconcileReport>((resolve, reject) => pending.push({ resolve, reject })),
    close: () => {
      closed += 1;
    },
  };
  return { reconciler, pending, closed: () => closed };
}

/** Lets the promise callbacks that a settled pass scheduled run. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('runs a pass every RECONCILE_INTERVAL_SECONDS and logs the report only when the pass repaired something', async () => {
  const { reconciler, pending } = manualReconciler();
  const lines: string[] = [];
  const started = await reconcilerComponent(config, { log: (l) => lines.push(l), open: () => reconciler }).start();
  expect(started.description).toContain('a pass every 10s');

  jest.advanceTimersByTime(9_999);
  expect(pending).toHaveLength(0);
  jest.advanceTimersByTime(1);
  expect(pending).toHaveLength(1);
  pending[0]?.resolve(report({ skipped: 2 }));
  await flush();
  expect(lines).toEqual([]);

  jest.advanceTimersByTime(10_000);
  expect(pending).toHaveLength(2);
  pending[1]?.resolve(report({ notifiedLate: 1 }, [{ imageId: 'img-1', status: 'PROCESSED', action: 'notified-late' }]));
  await flush();
  expect(lines[0]).toMatch(/^reconcile: days 2026-12-01, 2026-11-30; 1 candidate read \(RECEIVED past the threshold, or final and never announced\); recovered 0, failed-abandoned 0, notified-late 1, skipped 0, errors 0$/);
  expect(lines[1]).toMatch(/img-1\s+PROCESSED\s+notified-late/);
  await started.stop();
});

it('skips a tick while a pass is still running, rather than queueing a second pass', async () => {
  const { reconciler, pending } = manualReconciler();
  const started = await reconcilerComponent(config, { log: () => undefined, open: () => reconciler }).start();
  jest.advanceTimersByTime(10_000);
  jest.advanceTimersByTime(30_000);
  expect(pending).toHaveLength(1);
  pending[0]?.resolve(report());
  await flush();
  jest.advanceTimersByTime(10_000);
  expect(pending).toHaveLength(2);
  pending[1]?.resolve(report());
  await started.stop();
});

it('a pass that fails as a whole is logged in one line and the next tick runs again', async () => {
  const { reconciler, pending } = manualReconciler();
  const lines: string[] = [];
  const started = await reconcilerComponent(config, { log: (l) => lines.push(l), open: () => reconciler }).start();
  jest.advanceTimersByTime(10_000);
  pending[0]?.reject(new Error('DynamoDB did not answer'));
  await flush();
  expect(lines).toEqual(['reconciler: pass failed, the next one retries: DynamoDB did not answer']);
  jest.advanceTimersByTime(10_000);
  expect(pending).toHaveLength(2);
  pending[1]?.resolve(report());
  await started.stop();
});

it('stop() waits for the pass in flight, then releases the reconciler, and no pass starts after it', async () => {
  const { reconciler, pending, closed } = manualReconciler();
  const started = await reconcilerComponent(config, { log: () => undefined, open: () => reconciler }).start();
  jest.advanceTimersByTime(10_000);
  let stopped = false;
  const stopping = started.stop().then(() => {
    stopped = true;
  });
  await flush();
  expect(stopped).toBe(false);
  expect(closed()).toBe(0);
  pending[0]?.resolve(report());
  await stopping;
  expect(closed()).toBe(1);
  jest.advanceTimersByTime(60_000);
  expect(pending).toHaveLength(1);
});
