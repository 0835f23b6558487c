/**
 * The Lambda entry point that EventBridge Scheduler invokes on a schedule: one reconciler pass
 * (see core/reconciler.ts). Dependencies are built once per container, at cold start; a bad
 * setting fails the init with the variable's name.
 */
import { loadConfig } from '../core';
import { createPipelineRuntime, createReconciler, RECONCILER_SERVICE } from '../core/runtime';

const runtime = createPipelineRuntime(loadConfig(), RECONCILER_SERVICE);
const reconciler = createReconciler(runtime);

/** What one scheduled pass did; per-record lines are in the function's log. */
export interface ReconcileSummary {
  days: string[];
  scanned: number;
  counts: { recovered: number; failedAbandoned: number; notifiedLate: number; skipped: number; errors: number };
  truncated: boolean;
}

/**
 * Runs one pass. The scheduler's payload is ignored: the pass always reads today's and
 * yesterday's index, so a missed or repeated invocation is harmless.
 *
 * @throws DependencyError when the index cannot be read (the invocation fails; the next one retries).
 */
export const handler: (event?: unknown) => Promise<ReconcileSummary> = runtime.telemetry.traceHandler(async (): Promise<ReconcileSummary> => {
  const { days, scanned, counts, truncated } = await reconciler.run();
  return { days, scanned, counts, truncated };
});
