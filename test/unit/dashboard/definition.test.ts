import {
  CHANGES_TABLE_PLACEHOLDER,
  DASHBOARD_PARAMETERS,
  DASHBOARD_VISUALS,
  IMAGE_STATE_COLUMNS,
  IMAGE_STATE_SQL,
  declaredColumnPaths,
  toAthena,
  toDuckDb,
  toQuickSightDataSet,
} from '../../../core/analytics';
import { DashboardEngine, LOCAL_CHANGES_TABLE, parseDashboardQuery } from '../../../local/dashboard/engine';
import { changeRecordsFor, type SyntheticImage } from '../../helpers/change-records';

/** Output column names of a SQL text's last top-level SELECT list, read from the text itself. */
function selectedColumns(sql: string): string[] {
  const last = sql.lastIndexOf('\nSELECT ') >= 0 ? sql.slice(sql.lastIndexOf('\nSELECT ') + 8) : sql.slice(sql.indexOf('SELECT ') + 7);
  const list = last.slice(0, last.search(/\bFROM\b/));
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else current += ch;
  }
  items.push(current);
  return items.map((item) => {
    const alias = /\bAS\s+([a-z0-9_]+)\s*$/i.exec(item.trim());
    return alias?.[1] ?? (item.trim().split('.').pop() as string);
  });
}

let engine: DashboardEngine;
const now = new Date('2026-11-30T12:00:00.000Z');
const minutesAgo = (m: number): Date => new Date(now.getTime() - m * 60_000);

const images: SyntheticImage[] = [
  { imageId: 'a1', customerId: 'acme', source: 'api', status: 'PROCESSED', createdAt: minutesAgo(30), processingMs: 100, format: 'jpeg', bytes: 5000 },
  { imageId: 'a2', customerId: 'acme', source: 'kafka', status: 'PROCESSED', createdAt: minutesAgo(90), processingMs: 300, format: 'png', bytes: 7000 },
  { imageId: 'a3', customerId: 'acme', source: 'kafka', status: 'FAILED', createdAt: minutesAgo(20), errorCode: 'UNDECODABLE_IMAGE', bytes: 10 },
  { imageId: 'b1', customerId: 'bravo', source: 'upload', status: 'FAILED', createdAt: minutesAgo(10), errorCode: 'UNSUPPORTED_IMAGE', bytes: 20 },
  { imageId: 'b2', customerId: 'bravo', source: 'api', status: 'FAILED', createdAt: minutesAgo(5), errorCode: 'UNSUPPORTED_IMAGE', bytes: 30 },
  // Stuck: RECEIVED for 40 minutes (threshold 15) — and one RECEIVED 2 minutes ago, not stuck yet.
  { imageId: 'b3', customerId: 'bravo', source: 'kafka', status: 'RECEIVED', createdAt: minutesAgo(40), bytes: 40 },
  { imageId: 'b4', customerId: 'bravo', source: 'kafka', status: 'RECEIVED', createdAt: minutesAgo(2), bytes: 50 },
  // Outside the 24 h window, inside 7 days.
  { imageId: 'old', customerId: 'acme', source: 'api', status: 'PROCESSED', createdAt: minutesAgo(3 * 24 * 60), format: 'webp', bytes: 60 },
];

beforeAll(async () => {
  engine = await DashboardEngine.create({ stuckAfterSeconds: 900, retentionDays: 7 });
  const lines = images.flatMap(changeRecordsFor).map((r) => JSON.stringify(r));
  // Redelivery (at-least-once) must not count twice.
  await engine.load([...lines, ...lines.slice(0, 3)], '2026-11-30');
});
afterAll(() => engine.close());

describe('one SQL source text, two dialects', () => {
  test('every visual is defined with a unique id and known parameters only', () => {
    expect(DASHBOARD_VISUALS.length).toBeGreaterThanOrEqual(9);
    expect(new Set(DASHBOARD_VISUALS.map((v) => v.id)).size).toBe(DASHBOARD_VISUALS.length);
    for (const visual of DASHBOARD_VISUALS) {
      const names = [...visual.sql.matchAll(/:([a-z_]+)\b/g)].map((m) => m[1]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(DASHBOARD_PARAMETERS).toContain(name);
    }
  });

  test('the Athena and DuckDB texts differ only by the shim (table name and parameter markers)', () => {
    expect(DASHBOARD_VISUALS.length).toBeGreaterThan(0);
    for (const visual of DASHBOARD_VISUALS) {
      const athena = toAthena(visual.sql, 'image_pipeline_dev', 'metadata_changes');
      const duck = toDuckDb(visual.sql, LOCAL_CHANGES_TABLE);
      expect(athena.sql).not.toContain(CHANGES_TABLE_PLACEHOLDER);
      expect(athena.sql.split('?').length - 1).toBe(athena.order.length);
      let i = 0;
      const fromAthena = athena.sql.replace('"image_pipeline_dev"."metadata_changes"', LOCAL_CHANGES_TABLE).replace(/\?/g, () => `$${athena.order[i++]}`);
      expect(fromAthena).toBe(duck);
    }
  });

  test('both texts agree on the columns: what each text selects is what DuckDB returns and what the visual declares', async () => {
    const parameters = engine.parameters({ window: '24h', customerId: '', now });
    expect(DASHBOARD_VISUALS.length).toBeGreaterThan(0);
    for (const visual of DASHBOARD_VISUALS) {
      const athenaColumns = selectedColumns(toAthena(visual.sql, 'db', 'metadata_changes').sql);
      const duckColumns = await engine.columnsOf(visual.sql, parameters);
      expect({ id: visual.id, columns: athenaColumns }).toEqual({ id: visual.id, columns: [...visual.columns] });
      expect({ id: visual.id, columns: duckColumns }).toEqual({ id: visual.id, columns: [...visual.columns] });
    }
    const dataSetColumns = selectedColumns(toQuickSightDataSet(IMAGE_STATE_SQL, 'db', 'metadata_changes', 90).split('\nFROM (')[0] + '\nFROM x');
    expect(dataSetColumns).toEqual(IMAGE_STATE_COLUMNS.map((c) => c.name));
    expect(await engine.columnsOf(IMAGE_STATE_SQL, parameters)).toEqual(IMAGE_STATE_COLUMNS.map((c) => c.name));
  });

  test('the SQL reads only columns the change-record declaration (the Glue table) has', () => {
    const declared = declaredColumnPaths();
    const paths = [...IMAGE_STATE_SQL.matchAll(/\b(dynamodb(?:\.[a-z_]+)+)/g)].map((m) => m[1] as string);
    expect(paths.length).toBeGreaterThanOrEqual(10);
    for (const path of paths) expect(declared).toContain(path);
    for (const bare of ['eventname', 'dt']) expect(declared).toContain(bare);
  });

  test('a parameter that is not a dashboard parameter is refused with a specific error', () => {
    expect(() => toDuckDb('SELECT 1 WHERE x = :tenant', 't')).toThrow(/Expected one of since_day, window_start, customer_id, stuck_before for SQL parameter but received "tenant"/);
  });
});

describe('the figures over a known mix', () => {
  test('24 h, all customers: counts by status, failure codes, customers and stuck records', async () => {
    const data = await engine.query({ window: '24h', customerId: '', now });
    expect(data.visuals.totals).toEqual([{ images: 7, processed: 2, failed: 3, failure_rate: 0.6 }]);
    expect(data.visuals.stuck_now).toEqual([{ stuck: 1 }]);
    expect(data.visuals.failures_by_code).toEqual([
      { error_code: 'UNSUPPORTED_IMAGE', failures: 2 },
      { error_code: 'UNDECODABLE_IMAGE', failures: 1 },
    ]);
    expect(data.visuals.top_customers).toEqual([
      { customer_id: 'bravo', images: 4, failed: 2 },
      { customer_id: 'acme', images: 3, failed: 1 },
    ]);
    expect(data.visuals.images_by_format).toEqual([
      { format: 'unknown', images: 5 },
      { format: 'jpeg', images: 1 },
      { format: 'png', images: 1 },
    ]);
    const bySource = Object.fromEntries(data.visuals.processing_time?.map((r) => [r.source, r]) ?? []);
    expect(bySource.api).toMatchObject({ p50_ms: expect.any(Number) });
    expect(bySource.kafka?.p95_ms).toBeGreaterThanOrEqual(250);
    expect(data.visuals.images_by_path?.reduce((n, r) => n + Number(r.images), 0)).toBe(7);
    expect(data.visuals.bytes_per_hour?.reduce((n, r) => n + Number(r.input_bytes), 0)).toBe(5000 + 7000 + 10 + 20 + 30 + 40 + 50);
    expect(data.customers).toEqual(['acme', 'bravo']);
  });

  test('the window control and the customer filter narrow every visual', async () => {
    const hour = await engine.query({ window: '1h', customerId: '', now });
    expect(hour.visuals.totals?.[0]?.images).toBe(6);
    const week = await engine.query({ window: '7d', customerId: 'acme', now });
    expect(week.visuals.totals).toEqual([{ images: 4, processed: 3, failed: 1, failure_rate: 0.25 }]);
    expect(week.visuals.stuck_now).toEqual([{ stuck: 0 }]);
    expect(week.visuals.top_customers?.map((r) => r.customer_id)).toEqual(['acme']);
  });

  test('bad query parameters are refused by name', () => {
    expect(() => parseDashboardQuery('2h', '')).toThrow(/for window but received "2h"/);
    expect(() => parseDashboardQuery('1h', "x' OR 1=1")).toThrow(/for customer/);
    expect(parseDashboardQuery(undefined, undefined)).toEqual({ window: '24h', customerId: '' });
  });
});
