/**
 * The operational dashboard, defined once: each visual's SQL (Athena's dialect, run as-is by
 * Athena and through the small shim in `sql-dialect.ts` by the local engine), its result
 * columns, how the local page draws it and how QuickSight draws it from the data set.
 */

/** Name the SQL uses for the change-record table; rendered as `"db"."table"` for Athena. */
export const CHANGES_TABLE_PLACEHOLDER = '{{changes}}';

/**
 * Parameters the visuals' SQL takes, written `:name` in the source text.
 * - `since_day`: first `dt` partition to read (`YYYY-MM-DD`), bounds the scan.
 * - `window_start`: ISO-8601 UTC instant; images created before it are outside the window.
 * - `customer_id`: one customer, or `''` for all.
 * - `stuck_before`: ISO-8601 UTC instant; RECEIVED records created before it are stuck.
 */
export const DASHBOARD_PARAMETERS = ['since_day', 'window_start', 'customer_id', 'stuck_before'] as const;
/** One of {@link DASHBOARD_PARAMETERS}. */
export type DashboardParameter = (typeof DASHBOARD_PARAMETERS)[number];

/** The time-window control's choices (label → hours). */
export const DASHBOARD_WINDOWS = { '1h': 1, '24h': 24, '7d': 168 } as const;
/** A choice of the time-window control: `1h`, `24h` or `7d`. */
export type DashboardWindow = keyof typeof DASHBOARD_WINDOWS;

/**
 * Item fields of the latest change record per image, as `[field, alias]`. `max_by` (Athena and
 * DuckDB alike) is one hash aggregation, where a ROW_NUMBER window would sort every record with
 * all its fields. DuckDB's `max_by` skips NULL values and Athena's does not; it makes no
 * difference here because a record only gains fields over its life (RECEIVED → PROCESSED | FAILED).
 */
const LATEST: readonly (readonly [string, string])[] = [
  ['dynamodb.newimage.status.s', 'status'],
  ['dynamodb.newimage.source.s', 'source'],
  ['dynamodb.newimage.customerid.s', 'customer_id'],
  ['dynamodb.newimage.format.s', 'format'],
  ['CAST(dynamodb.newimage.width.n AS BIGINT)', 'width'],
  ['CAST(dynamodb.newimage.height.n AS BIGINT)', 'height'],
  ['CAST(dynamodb.newimage.bytes.n AS BIGINT)', 'bytes'],
  ['dynamodb.newimage.error.m.code.s', 'error_code'],
  ['dynamodb.newimage.createdat.s', 'created_at'],
  ['dynamodb.newimage.updatedat.s', 'updated_at'],
  // The index key's write shard (`STATUS#YYYY-MM-DD#N`) is no dashboard dimension: drop it.
  ["regexp_replace(dynamodb.newimage.statusday.s, '#[0-9]+$', '')", 'status_day'],
];

function latest(expr: string, alias: string): string {
  return `max_by(${expr}, dynamodb.approximatecreationdatetime) AS ${alias}`;
}

/**
 * The latest state of every image, one row each, from the change records: the QuickSight data
 * set and the `image_state` CTE of every visual. ISO-8601 timestamps of fixed width sort as
 * time, so window comparisons on `created_at` are plain string comparisons in both engines.
 */
export const IMAGE_STATE_SQL = [
  'SELECT image_id, status, source, customer_id, format, width, height, bytes, error_code, created_at, updated_at, status_day,',
  '  from_iso8601_timestamp(created_at) AS created_time,',
  "  CASE WHEN status <> 'RECEIVED' THEN date_diff('millisecond', from_iso8601_timestamp(created_at), from_iso8601_timestamp(updated_at)) END AS processing_ms",
  'FROM (',
  '  SELECT dynamodb.keys.imageid.s AS image_id,',
  ...LATEST.map(([expr, alias]) => `    ${latest(expr, alias)},`),
  '    max_by(eventname, dynamodb.approximatecreationdatetime) AS last_event',
  `  FROM ${CHANGES_TABLE_PLACEHOLDER}`,
  '  WHERE dt >= :since_day',
  '  GROUP BY dynamodb.keys.imageid.s',
  ') AS latest',
  "WHERE last_event <> 'REMOVE'",
].join('\n');

/** Columns of {@link IMAGE_STATE_SQL} with their QuickSight types. */
export const IMAGE_STATE_COLUMNS = [
  { name: 'image_id', type: 'STRING' },
  { name: 'status', type: 'STRING' },
  { name: 'source', type: 'STRING' },
  { name: 'customer_id', type: 'STRING' },
  { name: 'format', type: 'STRING' },
  { name: 'width', type: 'INTEGER' },
  { name: 'height', type: 'INTEGER' },
  { name: 'bytes', type: 'INTEGER' },
  { name: 'error_code', type: 'STRING' },
  { name: 'created_at', type: 'STRING' },
  { name: 'updated_at', type: 'STRING' },
  { name: 'status_day', type: 'STRING' },
  { name: 'created_time', type: 'DATETIME' },
  { name: 'processing_ms', type: 'INTEGER' },
] as const;
/** A column of the image-state data set. */
export type ImageStateColumn = (typeof IMAGE_STATE_COLUMNS)[number]['name'];

/** The filters every windowed visual applies: the time window and the customer filter. */
const IN_WINDOW = "created_at >= :window_start AND (:customer_id = '' OR customer_id = :customer_id)";
const HOUR = "substr(created_at, 1, 13) || ':00Z'";

/** How the local page draws a visual (Chart.js chart types, or a single figure). */
export type LocalChart =
  | { kind: 'stacked-bar'; x: string; series: string; y: string }
  | { kind: 'bar'; x: string; y: string[]; horizontal?: boolean }
  | { kind: 'doughnut'; label: string; value: string }
  | { kind: 'figures'; figures: { column: string; label: string; percent?: boolean }[] };

/** A QuickSight field: a data set column, or a calculated field the analysis defines. */
export interface QuickSightField {
  column: ImageStateColumn | 'failure_rate' | 'stuck_image';
  /** Aggregation of a measure; none for a calculated field that aggregates itself. */
  aggregation?: 'COUNT' | 'SUM' | { percentile: number };
  /** Date granularity of a time dimension. */
  granularity?: 'HOUR';
}

/** How QuickSight draws a visual from the image-state data set. */
export interface QuickSightVisual {
  kind: 'bar' | 'kpi' | 'pie';
  category?: QuickSightField;
  colors?: QuickSightField;
  values: QuickSightField[];
  /** Only rows whose `status` is one of these (a filter scoped to this visual). */
  statuses?: ('RECEIVED' | 'PROCESSED' | 'FAILED')[];
  /** Keep the top N categories by the first value. */
  top?: number;
  /** Ignores the time-window filter (stuck now is about now). */
  ignoresWindow?: boolean;
}

/** One visual of the dashboard. */
export interface VisualDefinition {
  /** Stable id: the Athena named query, the QuickSight visual id and the page's element id. */
  id: string;
  title: string;
  /** The visual's SQL in Athena's dialect, with {@link CHANGES_TABLE_PLACEHOLDER} and `:parameters`. */
  sql: string;
  /**
   * The part of {@link sql} after its `image_state` CTE ({@link IMAGE_STATE_SQL}): an engine that
   * keeps `image_state` as a table (the local one, between deliveries) runs just this.
   */
  select: string;
  /** Result columns of {@link sql}, in order. */
  columns: readonly string[];
  local: LocalChart;
  quicksight: QuickSightVisual;
}

/** A visual's SQL: the `image_state` CTE, then its own SELECT over it. */
function visualSql(select: string): { sql: string; select: string } {
  return { sql: `WITH image_state AS (\n${IMAGE_STATE_SQL}\n)\n${select}`, select };
}

/**
 * Images per hour in the window as stacked bars, one series per value of `series` (a column of
 * the image state): the page's stacked bar and QuickSight's bar coloured by that column.
 */
function imagesPerHourBy(series: 'source' | 'status', named: { id: string; title: string }): VisualDefinition {
  return {
    ...named,
    ...visualSql(`SELECT ${HOUR} AS hour, ${series}, COUNT(*) AS images\nFROM image_state WHERE ${IN_WINDOW}\nGROUP BY 1, 2 ORDER BY 1, 2`),
    columns: ['hour', series, 'images'],
    local: { kind: 'stacked-bar', x: 'hour', series, y: 'images' },
    quicksight: {
      kind: 'bar',
      category: { column: 'created_time', granularity: 'HOUR' },
      colors: { column: series },
      values: [{ column: 'image_id', aggregation: 'COUNT' }],
    },
  };
}

/** Every visual, in page order. */
export const DASHBOARD_VISUALS: readonly VisualDefinition[] = [
  {
    id: 'totals',
    title: 'Images and failure rate',
    ...visualSql(
      [
        'SELECT COUNT(*) AS images,',
        "  SUM(CASE WHEN status = 'PROCESSED' THEN 1 ELSE 0 END) AS processed,",
        "  SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS failed,",
        "  CAST(SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(SUM(CASE WHEN status <> 'RECEIVED' THEN 1 ELSE 0 END), 0) AS failure_rate",
        `FROM image_state WHERE ${IN_WINDOW}`,
      ].join('\n'),
    ),
    columns: ['images', 'processed', 'failed', 'failure_rate'],
    local: {
      kind: 'figures',
      figures: [
        { column: 'images', label: 'images' },
        { column: 'processed', label: 'processed' },
        { column: 'failed', label: 'failed' },
        { column: 'failure_rate', label: 'failure rate', percent: true },
      ],
    },
    quicksight: { kind: 'kpi', values: [{ column: 'failure_rate' }] },
  },
  {
    id: 'stuck_now',
    title: 'Stuck now (RECEIVED past the reconciler threshold; 0 is healthy)',
    ...visualSql(
      [
        'SELECT COUNT(*) AS stuck',
        "FROM image_state WHERE status = 'RECEIVED' AND created_at < :stuck_before AND (:customer_id = '' OR customer_id = :customer_id)",
      ].join('\n'),
    ),
    columns: ['stuck'],
    local: { kind: 'figures', figures: [{ column: 'stuck', label: 'stuck now' }] },
    quicksight: { kind: 'kpi', values: [{ column: 'stuck_image', aggregation: 'SUM' }], ignoresWindow: true },
  },
  imagesPerHourBy('source', { id: 'images_by_path', title: 'Images per hour by path' }),
  imagesPerHourBy('status', { id: 'images_by_status', title: 'Images per hour by final status' }),
  {
    id: 'failures_by_code',
    title: 'Failures by error code (top 10)',
    ...visualSql(
      `SELECT COALESCE(error_code, 'UNKNOWN') AS error_code, COUNT(*) AS failures\nFROM image_state WHERE status = 'FAILED' AND ${IN_WINDOW}\nGROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
    ),
    columns: ['error_code', 'failures'],
    local: { kind: 'bar', x: 'error_code', y: ['failures'], horizontal: true },
    quicksight: { kind: 'bar', category: { column: 'error_code' }, values: [{ column: 'image_id', aggregation: 'COUNT' }], statuses: ['FAILED'], top: 10 },
  },
  {
    id: 'processing_time',
    title: 'Processing time p50 / p95 by path (ms)',
    ...visualSql(
      [
        'SELECT source, approx_percentile(processing_ms, 0.5) AS p50_ms, approx_percentile(processing_ms, 0.95) AS p95_ms',
        `FROM image_state WHERE status <> 'RECEIVED' AND ${IN_WINDOW}`,
        'GROUP BY 1 ORDER BY 1',
      ].join('\n'),
    ),
    columns: ['source', 'p50_ms', 'p95_ms'],
    local: { kind: 'bar', x: 'source', y: ['p50_ms', 'p95_ms'] },
    quicksight: {
      kind: 'bar',
      category: { column: 'source' },
      values: [
        { column: 'processing_ms', aggregation: { percentile: 50 } },
        { column: 'processing_ms', aggregation: { percentile: 95 } },
      ],
      statuses: ['PROCESSED', 'FAILED'],
    },
  },
  {
    id: 'bytes_per_hour',
    title: 'Input bytes per hour',
    ...visualSql(`SELECT ${HOUR} AS hour, SUM(bytes) AS input_bytes\nFROM image_state WHERE ${IN_WINDOW}\nGROUP BY 1 ORDER BY 1`),
    columns: ['hour', 'input_bytes'],
    local: { kind: 'bar', x: 'hour', y: ['input_bytes'] },
    quicksight: { kind: 'bar', category: { column: 'created_time', granularity: 'HOUR' }, values: [{ column: 'bytes', aggregation: 'SUM' }] },
  },
  {
    id: 'images_by_format',
    title: 'Images by detected format',
    ...visualSql(`SELECT COALESCE(format, 'unknown') AS format, COUNT(*) AS images\nFROM image_state WHERE ${IN_WINDOW}\nGROUP BY 1 ORDER BY 2 DESC, 1`),
    columns: ['format', 'images'],
    local: { kind: 'doughnut', label: 'format', value: 'images' },
    quicksight: { kind: 'pie', category: { column: 'format' }, values: [{ column: 'image_id', aggregation: 'COUNT' }] },
  },
  {
    id: 'top_customers',
    title: 'Top customers by images',
    ...visualSql(
      [
        "SELECT customer_id, COUNT(*) AS images, SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS failed",
        `FROM image_state WHERE ${IN_WINDOW}`,
        'GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10',
      ].join('\n'),
    ),
    columns: ['customer_id', 'images', 'failed'],
    local: { kind: 'bar', x: 'customer_id', y: ['images', 'failed'], horizontal: true },
    quicksight: { kind: 'bar', category: { column: 'customer_id' }, values: [{ column: 'image_id', aggregation: 'COUNT' }], top: 10 },
  },
];

/**
 * QuickSight calculated fields the visuals use. `stuck_image` needs the reconciler threshold,
 * in minutes.
 */
export function quickSightCalculatedFields(stuckAfterSeconds: number): { name: string; expression: string }[] {
  const minutes = Math.max(1, Math.ceil(stuckAfterSeconds / 60));
  return [
    { name: 'failure_rate', expression: "sum(ifelse(status = 'FAILED', 1, 0)) / sum(ifelse(status = 'RECEIVED', 0, 1))" },
    { name: 'stuck_image', expression: `ifelse(status = 'RECEIVED' AND dateDiff(created_time, now(), 'MI') >= ${minutes}, 1, 0)` },
    { name: 'age_hours', expression: "dateDiff(created_time, now(), 'HH')" },
  ];
}
