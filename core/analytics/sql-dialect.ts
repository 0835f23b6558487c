import { invalidParameterError } from '../errors';
import { CHANGES_TABLE_PLACEHOLDER, DASHBOARD_PARAMETERS, type DashboardParameter } from './dashboard';

const PARAMETER = /:([a-z_]+)\b/g;

function checkParameter(name: string): DashboardParameter {
  if (!(DASHBOARD_PARAMETERS as readonly string[]).includes(name)) {
    throw invalidParameterError('SQL parameter', `one of ${DASHBOARD_PARAMETERS.join(', ')}`, name);
  }
  return name as DashboardParameter;
}

/**
 * The visual's SQL as Athena runs it: the table as `"database"."table"`, and each `:name` as a
 * positional `?` execution parameter; `order` lists the parameter behind each `?`, which is
 * what `StartQueryExecution`'s `ExecutionParameters` takes, in that order.
 * @throws InvalidParameterError for a `:name` that is not a dashboard parameter.
 */
export function toAthena(sql: string, database: string, table: string): { sql: string; order: DashboardParameter[] } {
  const order: DashboardParameter[] = [];
  const text = sql.replaceAll(CHANGES_TABLE_PLACEHOLDER, `"${database}"."${table}"`).replace(PARAMETER, (_, name: string) => {
    order.push(checkParameter(name));
    return '?';
  });
  return { sql: text, order };
}

/**
 * The data set's SQL for QuickSight (direct query takes no execution parameters): the image
 * state over the analytics bucket's retention, so QuickSight's own filters pick the window.
 */
export function toQuickSightDataSet(sql: string, database: string, table: string, retentionDays: number): string {
  return sql
    .replaceAll(CHANGES_TABLE_PLACEHOLDER, `"${database}"."${table}"`)
    .replace(PARAMETER, (_, name: string) => {
      if (checkParameter(name) !== 'since_day') throw invalidParameterError('data set SQL parameter', 'since_day', name);
      return `date_format(date_add('day', -${retentionDays}, current_date), '%Y-%m-%d')`;
    });
}

/**
 * The local engine's side of the shim: DuckDB macros with Athena's (Trino's) names, so the
 * visuals' text runs unchanged apart from the table name and `$name` parameters.
 */
export const DUCKDB_PRELUDE = [
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'CREATE OR REPLACE MACRO approx_percentile(x, p) AS approx_quantile(x, p)',
] as const;

/**
 * The visual's SQL as DuckDB runs it: the table by its local name and `:name` as `$name`
 * (DuckDB's named prepared-statement parameters).
 * @throws InvalidParameterError for a `:name` that is not a dashboard parameter.
 */
export function toDuckDb(sql: string, table: string): string {
  return sql.replaceAll(CHANGES_TABLE_PLACEHOLDER, table).replace(PARAMETER, (_, name: string) => `$${checkParameter(name)}`);
}
