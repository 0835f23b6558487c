import { destroyAwsClients, type Config } from '../../core';
import { createPipelineRuntime, createReconciler, type ReconcileReport } from '../../core/runtime';
import type { Command } from '../cli';
import type { RuntimeComponent } from '../runtime';
import { useLocalStack } from '../stack';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * A reconciler report as lines for a person: the totals, then one line per record touched.
 *
 * @example
 * formatReconcileReport(report).forEach((line) => console.log(line));
 */
export function formatReconcileReport(report: ReconcileReport): string[] {
  const { counts } = report;
  const lines = [
    `reconcile${report.dryRun ? ' (dry run: nothing changed)' : ''}: days ${report.days.join(', ')}; ${report.scanned} candidate${report.scanned === 1 ? '' : 's'} read (RECEIVED past the threshold, or final and never announced)` +
      `; recovered ${counts.recovered}, failed-abandoned ${counts.failedAbandoned}, notified-late ${counts.notifiedLate}, skipped ${counts.skipped}, errors ${counts.errors}` +
      (report.truncated ? '; read limit reached (RECONCILE_MAX_RECORDS), the next run continues' : ''),
  ];
  for (const entry of report.entries) lines.push(`  ${entry.imageId}  ${entry.status.padEnd(9)} ${entry.action}${entry.detail ? `  (${entry.detail})` : ''}`);
  return lines;
}

/** `ingest reconcile [--dry-run]`: one reconciler pass over the local stack, printing what it did. */
export const reconcileCommand: Command = {
  usage: 'ingest reconcile [--dry-run]',
  summary: 'finish or fail records left RECEIVED and announce final records never notified',
  help:
    'Reads the byStatusDay index for today and yesterday (UTC). A record RECEIVED for longer than RECONCILE_RECEIVED_AFTER_SECONDS (default 3600) is finished from its raw object, or marked FAILED (ABANDONED) when the raw object never arrived, and notified; a PROCESSED/FAILED record whose notification was never published is announced once, after its claim lease. Safe beside the running pipeline and beside another run. --dry-run prints what it would do and changes nothing. Exits 1 when a record could not be repaired.',
  options: { 'dry-run': { type: 'boolean' } },
  async run({ values }) {
    const config = useLocalStack();
    // The report is the output: the pipeline's own log lines only when something goes wrong, and
    // no EMF metric lines (they are for CloudWatch; the report states the same counts).
    const runtime = createPipelineRuntime({ ...config, logLevel: 'WARN' }, 'reconciler', { metrics: false });
    try {
      const report = await createReconciler(runtime).run({ dryRun: values['dry-run'] === true });
      for (const line of formatReconcileReport(report)) out(line);
      return report.counts.errors > 0 ? 1 : 0;
    } finally {
      destroyAwsClients(runtime.clients);
    }
  },
};

/** What {@link reconcilerComponent} runs each pass, and what it releases when it stops. */
export interface ScheduledReconciler {
  run(): Promise<ReconcileReport>;
  close(): void;
}

/** Options of {@link reconcilerComponent}. */
export interface ReconcilerComponentOptions {
  /** Where report lines go. @default stdout */
  log?: (line: string) => void;
  /**
   * Builds the reconciler when the component starts.
   * @default the pipeline's own reconciler on `config` (createReconciler over a pipeline runtime)
   */
  open?: () => ScheduledReconciler;
}

/**
 * The reconciler as a part of `ingest start`: a pass every `config.reconcile.intervalSeconds`
 * (the stand-in for the EventBridge schedule), logging the report when a pass repaired something
 * or met an error, and one line when a pass failed as a whole (the next tick retries). One pass
 * at a time: a tick while a pass runs is skipped, not queued. `stop()` cancels the schedule and
 * waits for the pass in flight.
 */
export function reconcilerComponent(config: Config, options: ReconcilerComponentOptions = {}): RuntimeComponent {
  const log = options.log ?? out;
  const open =
    options.open ??
    ((): ScheduledReconciler => {
      const runtime = createPipelineRuntime(config, 'reconciler');
      const reconciler = createReconciler(runtime);
      return { run: () => reconciler.run(), close: () => destroyAwsClients(runtime.clients) };
    });
  return {
    name: 'reconciler',
    async start() {
      const reconciler = open();
      let running: Promise<void> | undefined;
      const pass = (): void => {
        if (running !== undefined) return;
        running = reconciler
          .run()
          .then(
            (report) => {
              const { counts } = report;
              if (counts.recovered + counts.failedAbandoned + counts.notifiedLate + counts.errors > 0) for (const line of formatReconcileReport(report)) log(line);
            },
            (error: unknown) => log(`reconciler: pass failed, the next one retries: ${(error as Error).message}`),
          )
          .finally(() => {
            running = undefined;
          });
      };
      const timer = setInterval(pass, config.reconcile.intervalSeconds * 1000);
      return {
        description: `a pass every ${config.reconcile.intervalSeconds}s (RECONCILE_INTERVAL_SECONDS); records RECEIVED over ${config.reconcile.receivedAfterSeconds}s are finished or failed`,
        async stop() {
          clearInterval(timer);
          await running;
          reconciler.close();
        },
      };
    },
  };
}
