/**
 * `make bench-dashboard`: the dashboard phase of `make bench` on its own (no servers needed):
 * the page's query time over 100,000 synthetic change records, median of repeats with spread.
 */
import { measureDashboardQuery, type DashboardBenchResult } from './phases/dashboard';
import { renderTable, type Figure } from './report';

/** The dashboard phase's rows of the benchmark table. */
export function dashboardFigures(result: DashboardBenchResult | undefined, note?: string): Figure[] {
  const nan = Number.NaN;
  const spread = result === undefined ? note : `median of ${result.queryMs.length}, spread ${result.minMs.toFixed(0)}–${result.maxMs.toFixed(0)} ms`;
  return [
    { key: 'dashboardQueryMs', label: 'dashboard page data after a delivery, 100k records', value: result?.medianMs ?? nan, unit: 'ms', kind: 'max', limit: 1000, note: spread },
    { key: 'dashboardSteadyMs', label: 'dashboard refresh, no new delivery', value: result?.steadyMedianMs ?? nan, unit: 'ms', kind: 'max', limit: 1000, note },
    { key: 'dashboardCustomerWeekMs', label: 'dashboard page data, one customer, 7 days', value: result?.customerWeekMedianMs ?? nan, unit: 'ms', kind: 'max', limit: 1000, note },
    { key: 'dashboardLoadMs', label: 'dashboard load of 100k change records', value: result?.loadMs ?? nan, unit: 'ms', note },
  ];
}

if (require.main === module) {
  measureDashboardQuery().then(
    (result) => {
      process.stdout.write(`${renderTable(dashboardFigures(result))}\n`);
      process.stdout.write(`repeats (ms): ${result.queryMs.map((ms) => ms.toFixed(0)).join(', ')}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`dashboard bench failed: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
