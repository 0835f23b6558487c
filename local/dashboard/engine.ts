import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  CHANGE_RECORD_SCHEMA,
  DASHBOARD_VISUALS,
  DASHBOARD_WINDOWS,
  DUCKDB_PRELUDE,
  IMAGE_STATE_SQL,
  toDuckDb,
  type DashboardParameter,
  type DashboardWindow,
  type SchemaField,
} from '../../core/analytics';
import { invalidParameterError } from '../../core/errors';
import { assertCustomerIdBounds } from '../../core/input-bounds';

/** The local table of change records (Athena's `metadata_changes`, plus its `dt` partition column). */
export const LOCAL_CHANGES_TABLE = 'metadata_changes';

/** A result row, JSON-safe (BIGINT and DECIMAL as numbers, timestamps as ISO-8601 strings). */
export type DashboardRow = Record<string, string | number | boolean | null>;

/** What the page draws and `ingest dashboard --json` prints. */
export interface DashboardData {
  generatedAt: string;
  window: DashboardWindow;
  /** `''` for all customers. */
  customerId: string;
  /** Threshold behind "stuck now". */
  stuckAfterSeconds: number;
  /** Change records loaded. */
  changeRecords: number;
  /** Customers seen in the window, for the customer filter. */
  customers: string[];
  visuals: Record<string, DashboardRow[]>;
}

/** What the page asks for. */
export interface DashboardQuery {
  window: DashboardWindow;
  customerId: string;
  now?: Date;
}

/** DuckDB's `json_transform` structure for a schema field, in the record's own key case. */
function duckDbStructure(field: SchemaField): unknown {
  if (field === 'string') return 'VARCHAR';
  if (field === 'bigint') return 'BIGINT';
  return Object.fromEntries(Object.entries(field).map(([name, f]) => [name, duckDbStructure(f)]));
}

/**
 * Checks the page's query parameters.
 * @throws InvalidParameterError naming the parameter.
 */
export function parseDashboardQuery(window: string | null | undefined, customer: string | null | undefined): DashboardQuery {
  const w = window ?? '24h';
  if (!Object.hasOwn(DASHBOARD_WINDOWS, w)) throw invalidParameterError('window', `one of ${Object.keys(DASHBOARD_WINDOWS).join(', ')}`, w);
  const customerId = customer ?? '';
  // Empty is "every customer"; anything else is one customer id, under the one rule.
  if (customerId !== '') assertCustomerIdBounds(customerId, 'customer');
  return { window: w as DashboardWindow, customerId };
}

/**
 * The embedded engine: change records in DuckDB, the dashboard's SQL over them. Records are fed
 * as JSON lines (read through the project's S3 adapter) and typed with the same declared schema
 * as the Glue table; DuckDB's bundled JSON support does the parsing, no extension is downloaded.
 */
export class DashboardEngine {
  private records = 0;
  /** `since_day` and record count of the current `image_state` table; recomputed when either changes. */
  private imageStateKey = '';
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly stuckAfterSeconds: number,
    private readonly retentionDays: number,
  ) {}

  /** An in-memory engine with the change-record table and the dialect shim's macros. */
  static async create(options: { stuckAfterSeconds: number; retentionDays: number }): Promise<DashboardEngine> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    for (const statement of DUCKDB_PRELUDE) await connection.run(statement);
    await connection.run('CREATE TABLE change_lines (line VARCHAR, dt VARCHAR)');
    const structure = JSON.stringify(duckDbStructure(CHANGE_RECORD_SCHEMA)).replaceAll("'", "''");
    await connection.run(`CREATE TABLE ${LOCAL_CHANGES_TABLE} AS SELECT unnest(json_transform('{}', '${structure}')), '' AS dt LIMIT 0`);
    return new DashboardEngine(instance, connection, options.stuckAfterSeconds, options.retentionDays);
  }

  /** Change records loaded so far. */
  get recordCount(): number {
    return this.records;
  }

  /** Adds delivered JSON lines of one `dt` partition. */
  async load(lines: readonly string[], dt: string): Promise<void> {
    if (lines.length === 0) return;
    const appender = await this.connection.createAppender('change_lines');
    for (const line of lines) {
      appender.appendVarchar(line);
      appender.appendVarchar(dt);
      appender.endRow();
    }
    appender.closeSync();
    const structure = JSON.stringify(duckDbStructure(CHANGE_RECORD_SCHEMA)).replaceAll("'", "''");
    await this.connection.run(`INSERT INTO ${LOCAL_CHANGES_TABLE} SELECT unnest(json_transform(line, '${structure}')), dt FROM change_lines WHERE json_valid(line)`);
    await this.connection.run('DELETE FROM change_lines');
    this.records += lines.length;
  }

  /** Runs one SQL text (Athena dialect) through the shim with the given parameters. */
  async run(sql: string, parameters: Record<DashboardParameter, string>): Promise<DashboardRow[]> {
    const text = toDuckDb(sql, LOCAL_CHANGES_TABLE);
    const used = Object.fromEntries(Object.entries(parameters).filter(([name]) => text.includes(`$${name}`)));
    const reader = await this.connection.runAndReadAll(text, used);
    return reader.getRowObjectsJS().map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : (v as string | number | boolean | null)]),
      ),
    );
  }

  /** Result column names of one SQL text, without reading any row. */
  async columnsOf(sql: string, parameters: Record<DashboardParameter, string>): Promise<string[]> {
    const text = `SELECT * FROM (${toDuckDb(sql, LOCAL_CHANGES_TABLE)}) AS q LIMIT 0`;
    const used = Object.fromEntries(Object.entries(parameters).filter(([name]) => text.includes(`$${name}`)));
    return (await this.connection.runAndReadAll(text, used)).columnNames();
  }

  /** The parameter values of a query at `now`. */
  parameters(query: DashboardQuery): Record<DashboardParameter, string> {
    const now = query.now ?? new Date();
    const hours = DASHBOARD_WINDOWS[query.window];
    return {
      since_day: new Date(now.getTime() - this.retentionDays * 86_400_000).toISOString().slice(0, 10),
      window_start: new Date(now.getTime() - hours * 3_600_000).toISOString(),
      customer_id: query.customerId,
      stuck_before: new Date(now.getTime() - this.stuckAfterSeconds * 1000).toISOString(),
    };
  }

  /**
   * Keeps `image_state` (the visuals' shared CTE, {@link IMAGE_STATE_SQL}) as a table until new
   * records arrive or the day changes, so a page refresh runs only the visuals' own SELECTs —
   * what an Athena view would be. The text is the same; only where it is evaluated differs.
   */
  private async ensureImageState(sinceDay: string): Promise<void> {
    const key = `${sinceDay}/${this.records}`;
    if (key === this.imageStateKey) return;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(sinceDay)) throw invalidParameterError('since_day', 'a YYYY-MM-DD day', sinceDay);
    // CREATE TABLE AS takes no prepared parameters: the checked day goes in as a literal.
    const sql = toDuckDb(IMAGE_STATE_SQL, LOCAL_CHANGES_TABLE).replace('$since_day', `'${sinceDay}'`);
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE image_state AS ${sql}`);
    this.imageStateKey = key;
  }

  /** Every visual's rows for one window and customer. */
  async query(query: DashboardQuery): Promise<DashboardData> {
    const now = query.now ?? new Date();
    const parameters = this.parameters({ ...query, now });
    await this.ensureImageState(parameters.since_day);
    const visuals: Record<string, DashboardRow[]> = {};
    for (const visual of DASHBOARD_VISUALS) visuals[visual.id] = await this.run(visual.select, parameters);
    const customers = await this.run('SELECT DISTINCT customer_id FROM image_state WHERE created_at >= :window_start ORDER BY 1 LIMIT 1000', parameters);
    return {
      generatedAt: now.toISOString(),
      window: query.window,
      customerId: query.customerId,
      stuckAfterSeconds: this.stuckAfterSeconds,
      changeRecords: this.records,
      customers: customers.map((r) => String(r.customer_id)),
      visuals,
    };
  }

  /** Forgets the `image_state` table, so the next query recomputes it (for measuring). */
  invalidate(): void {
    this.imageStateKey = '';
  }

  /** Frees the database. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
