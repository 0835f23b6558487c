import { createAwsClients, destroyAwsClients } from '../../core';
import { DASHBOARD_VISUALS } from '../../core/analytics';
import type { Command } from '../cli';
import { loadDashboard, parseDashboardQuery, type DashboardRow } from '../dashboard';
import { useLocalStack } from '../stack';
import { refuseInput } from './input-checks';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

function table(rows: DashboardRow[]): string[] {
  if (rows.length === 0) return ['  (no data)'];
  return rows.map((row) => `  ${Object.entries(row).map(([k, v]) => `${k}=${v === null ? '-' : String(v)}`).join('  ')}`);
}

/** `ingest dashboard [--json] [--window 1h|24h|7d] [--customer ID]`: the dashboard's figures for scripts. */
export const dashboardCommand: Command = {
  usage: 'ingest dashboard [--json] [--window 1h|24h|7d] [--customer ID]',
  summary: 'print the operations dashboard\'s figures (the same as the page `make start` serves)',
  help: 'Reads the change records in the local analytics bucket (delivered there by `ingest start` from the table\'s change stream), runs every visual\'s SQL in the embedded engine and prints the results: as JSON with --json, else as text. --window picks the time window (default 24h); --customer limits the figures to one customer.',
  options: { json: { type: 'boolean' }, window: { type: 'string' }, customer: { type: 'string' } },
  async run({ values }) {
    const query = refuseInput(() => parseDashboardQuery(values.window as string | undefined, values.customer as string | undefined));
    const config = useLocalStack();
    const clients = createAwsClients(config);
    try {
      const { engine } = await loadDashboard(config, clients);
      try {
        const data = await engine.query(query);
        if (values.json) {
          out(JSON.stringify(data, null, 2));
          return 0;
        }
        out(`window ${data.window}, ${data.customerId === '' ? 'all customers' : `customer ${data.customerId}`}, ${data.changeRecords} change records, at ${data.generatedAt}`);
        for (const visual of DASHBOARD_VISUALS) {
          out(`${visual.title}:`);
          for (const line of table(data.visuals[visual.id] ?? [])) out(line);
        }
        return 0;
      } finally {
        engine.close();
      }
    } finally {
      destroyAwsClients(clients);
    }
  },
};
