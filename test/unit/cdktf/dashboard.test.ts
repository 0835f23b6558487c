import { DASHBOARD_VISUALS, IMAGE_STATE_COLUMNS, quickSightCalculatedFields } from '../../../core/analytics';
import { fieldWellColumns } from '../../../cdktf/constructs/dashboard-definition';
import { reconcileReceivedAfterSeconds, resolveStackProps } from '../../../cdktf/props';
import { resourcesOf, synthStack, type TerraformJson } from './synth-helpers';

const PRINCIPAL = 'arn:aws:quicksight:us-east-1:123456789012:user/default/ops';
let withQuickSight: TerraformJson;
let without: TerraformJson;

beforeAll(() => {
  withQuickSight = synthStack('dev', {
    bundling: { mode: 'skip' },
    analytics: { quicksight: { principalArn: PRINCIPAL, serviceRoleName: 'aws-quicksight-service-role-v0' } },
  }).json;
  without = synthStack('prod', { bundling: { mode: 'skip' } }).json;
});

type Visual = Record<string, { visual_id: string; title: { format_text: { plain_text: string } }; chart_configuration: unknown }>;
type Definition = {
  data_set_identifiers_declarations: { identifier: string; data_set_arn: string }[];
  calculated_fields: { name: string; data_set_identifier: string }[];
  parameter_declarations: { integer_parameter_declaration?: { name: string; default_values: { static_values: number[] } } }[];
  filter_groups: { filter_group_id: string; filters: Record<string, { column: { column_name: string } }>[] }[];
  sheets: { visuals: Visual[]; parameter_controls: { dropdown: { selectable_values: { values: string[] } } }[]; filter_controls: { dropdown: { source_filter_id: string } }[] }[];
};

/** Every `column_name` anywhere inside a block. */
function columnNames(block: unknown): string[] {
  const json = JSON.stringify(block);
  return [...json.matchAll(/"column_name":"([^"]+)"/g)].map((m) => m[1] as string);
}

/** Field paths a Glue type declares (`dynamodb.newimage.status.s`…), read from the synthesised type text. */
function glueFieldPaths(columns: { name: string; type: string }[]): Set<string> {
  const paths = new Set<string>();
  const parse = (prefix: string, type: string): void => {
    paths.add(prefix);
    if (!type.startsWith('struct<')) return;
    const body = type.slice(7, -1);
    let depth = 0;
    let start = 0;
    const fields: string[] = [];
    for (let i = 0; i < body.length; i += 1) {
      if (body[i] === '<') depth += 1;
      if (body[i] === '>') depth -= 1;
      if (body[i] === ',' && depth === 0) {
        fields.push(body.slice(start, i));
        start = i + 1;
      }
    }
    fields.push(body.slice(start));
    for (const field of fields) {
      const colon = field.indexOf(':');
      parse(`${prefix}.${field.slice(0, colon)}`, field.slice(colon + 1));
    }
  };
  for (const c of columns) parse(c.name, c.type);
  return paths;
}

describe('the operations dashboard on AWS', () => {
  test('one Athena named query per visual plus image_state, each holding SQL over the Glue table', () => {
    const queries = resourcesOf(withQuickSight, 'aws_athena_named_query');
    expect(queries).toHaveLength(DASHBOARD_VISUALS.length + 1);
    const byName = new Map(queries.map(([, q]) => [q.name as string, q]));
    for (const visual of DASHBOARD_VISUALS) {
      const query = byName.get(`image-pipeline-dev-${visual.id}`);
      expect(query).toBeDefined();
      expect(query?.query).toContain('"metadata_changes"');
      expect(query?.query).not.toMatch(/:[a-z_]+\b|\{\{/);
    }
    // Named queries exist without QuickSight too: the SQL is the contract.
    expect(resourcesOf(without, 'aws_athena_named_query')).toHaveLength(DASHBOARD_VISUALS.length + 1);
  });

  test('every named query and the data set name only columns the Glue table declares', () => {
    const [[, table] = ['', {}]] = resourcesOf(withQuickSight, 'aws_glue_catalog_table');
    const storage = table.storage_descriptor as { columns: { name: string; type: string }[] };
    const partitions = (table.partition_keys as { name: string }[]).map((p) => p.name);
    // The change record's top-level fields, lower-cased as the Glue catalog stores them.
    expect(storage.columns.map((c) => c.name)).toEqual(['awsregion', 'eventid', 'eventname', 'tablename', 'dynamodb']);
    const declared = glueFieldPaths(storage.columns);
    expect(partitions).toEqual(['dt']);
    for (const p of partitions) declared.add(p);
    const queries = resourcesOf(withQuickSight, 'aws_athena_named_query');
    const [[, dataSet] = ['', {}]] = resourcesOf(withQuickSight, 'aws_quicksight_data_set');
    const dataSetSql = JSON.stringify(dataSet.physical_table_map).match(/"sql_query":"((?:[^"\\]|\\.)*)"/)?.[1] ?? '';
    const texts = [...queries.map(([, q]) => q.query as string), dataSetSql];
    expect(texts).toHaveLength(DASHBOARD_VISUALS.length + 2);
    for (const sql of texts) {
      const paths = [...sql.matchAll(/\b(dynamodb(?:\.[a-z_]+)+)/g)].map((m) => m[1] as string);
      expect(paths.length).toBeGreaterThan(5);
      for (const path of paths) expect(declared).toContain(path);
      expect(sql).toMatch(/\bdt >= /);
      expect(sql).toMatch(/\beventname\b/);
    }
  });

  test('an analysis and a published dashboard for the principal, with every visual naming only data set columns', () => {
    const analyses = resourcesOf(withQuickSight, 'aws_quicksight_analysis');
    const dashboards = resourcesOf(withQuickSight, 'aws_quicksight_dashboard');
    expect(analyses).toHaveLength(1);
    expect(dashboards).toHaveLength(1);
    const [[, analysis] = ['', {}]] = analyses;
    const [[, dashboard] = ['', {}]] = dashboards;
    expect(JSON.stringify(dashboard.permissions)).toContain(PRINCIPAL);
    expect(JSON.stringify(dashboard.permissions)).toContain('quicksight:QueryDashboard');
    expect(JSON.stringify(analysis.permissions)).toContain(PRINCIPAL);
    expect(dashboard.version_description).toEqual(expect.any(String));

    const [[, dataSet] = ['', {}]] = resourcesOf(withQuickSight, 'aws_quicksight_data_set');
    expect(dataSet.import_mode).toBe('DIRECT_QUERY');
    const dataSetColumns = new Set(JSON.stringify(dataSet.physical_table_map).match(/"columns":(\[[^\]]*\])/)?.[1] ? (JSON.parse(JSON.stringify(dataSet.physical_table_map).match(/"columns":(\[[^\]]*\])/)?.[1] as string) as { name: string }[]).map((c) => c.name) : []);
    expect([...dataSetColumns]).toEqual(IMAGE_STATE_COLUMNS.map((c) => c.name));

    for (const [, resource] of [...analyses, ...dashboards]) {
      const definition = resource.definition as Definition;
      expect(definition.data_set_identifiers_declarations).toHaveLength(1);
      const calculated = new Set(definition.calculated_fields.map((f) => f.name));
      expect([...calculated].sort()).toEqual(quickSightCalculatedFields(reconcileReceivedAfterSeconds(resolveStackProps('dev'))).map((f) => f.name).sort());
      const known = new Set([...dataSetColumns, ...calculated]);
      const [sheet] = definition.sheets;
      const visuals = sheet?.visuals ?? [];
      expect(visuals).toHaveLength(DASHBOARD_VISUALS.length);
      const ids = visuals.map((v) => (Object.values(v)[0] as { visual_id: string }).visual_id);
      expect(ids).toEqual(DASHBOARD_VISUALS.map((v) => v.id));
      for (const [i, visual] of visuals.entries()) {
        const names = columnNames(visual);
        const expected = DASHBOARD_VISUALS[i];
        expect(names.length).toBeGreaterThan(0);
        expect(new Set(names)).toEqual(new Set(expected ? fieldWellColumns(expected) : []));
        for (const name of names) expect(known).toContain(name);
      }
      expect(definition.filter_groups.length).toBeGreaterThanOrEqual(2);
      const filtered = columnNames(definition.filter_groups);
      expect(filtered.length).toBeGreaterThanOrEqual(definition.filter_groups.length);
      for (const name of filtered) expect(known).toContain(name);
      // The window control: 1 h / 24 h / 7 days, default 24 h; the customer control on the customer filter.
      expect(sheet?.parameter_controls[0]?.dropdown.selectable_values.values).toEqual(['1', '24', '168']);
      expect(definition.parameter_declarations[0]?.integer_parameter_declaration?.default_values.static_values).toEqual([24]);
      const customerFilter = definition.filter_groups.flatMap((g) => g.filters).find((f) => f.category_filter?.column.column_name === 'customer_id');
      expect(customerFilter).toBeDefined();
      expect(sheet?.filter_controls[0]?.dropdown.source_filter_id).toBe('customer-filter');
    }
  });

  test('no QuickSight resources without a principal', () => {
    for (const type of ['aws_quicksight_analysis', 'aws_quicksight_dashboard', 'aws_quicksight_data_set']) expect(resourcesOf(without, type)).toHaveLength(0);
  });
});
