import {
  DASHBOARD_VISUALS,
  DASHBOARD_WINDOWS,
  quickSightCalculatedFields,
  type QuickSightField,
  type VisualDefinition,
} from '../../core/analytics';

/** The data set's identifier inside the analysis and dashboard definitions. */
export const DATA_SET_IDENTIFIER = 'images';
/** The one sheet of the dashboard. */
export const SHEET_ID = 'operations';
/** The time-window parameter (hours) and its control. */
export const WINDOW_PARAMETER = 'WindowHours';
/** The customer filter and its control. */
export const CUSTOMER_FILTER_ID = 'customer-filter';

type Block = Record<string, unknown>;

const column = (name: string): Block => ({ data_set_identifier: DATA_SET_IDENTIFIER, column_name: name });

function fieldId(visual: VisualDefinition, role: string, index = 0): string {
  return `${visual.id}.${role}.${index}`;
}

function dimension(visual: VisualDefinition, role: string, field: QuickSightField): Block {
  const id = fieldId(visual, role);
  if (field.granularity !== undefined) return { date_dimension_field: { field_id: id, column: column(field.column), date_granularity: field.granularity } };
  return { categorical_dimension_field: { field_id: id, column: column(field.column) } };
}

function measure(visual: VisualDefinition, field: QuickSightField, index: number): Block {
  const id = fieldId(visual, 'value', index);
  const agg = field.aggregation;
  if (agg === 'COUNT') return { categorical_measure_field: { field_id: id, column: column(field.column), aggregation_function: 'COUNT' } };
  if (agg === undefined) return { numerical_measure_field: { field_id: id, column: column(field.column) } };
  const aggregation = agg === 'SUM' ? { simple_numerical_aggregation: 'SUM' } : { percentile_aggregation: { percentile_value: agg.percentile } };
  return { numerical_measure_field: { field_id: id, column: column(field.column), aggregation_function: aggregation } };
}

const title = (visual: VisualDefinition): Block => ({ visibility: 'VISIBLE', format_text: { plain_text: visual.title } });

/** One visual block of the QuickSight definition (Terraform's `visuals` block). */
export function quickSightVisual(visual: VisualDefinition): Block {
  const q = visual.quicksight;
  const values = q.values.map((v, i) => measure(visual, v, i));
  if (q.kind === 'kpi') {
    return { kpi_visual: { visual_id: visual.id, title: title(visual), chart_configuration: { field_wells: { values } } } };
  }
  if (q.kind === 'pie') {
    const category = q.category === undefined ? [] : [dimension(visual, 'category', q.category)];
    return { pie_chart_visual: { visual_id: visual.id, title: title(visual), chart_configuration: { field_wells: { pie_chart_aggregated_field_wells: { category, values } } } } };
  }
  const wells: Block = { values };
  if (q.category !== undefined) wells.category = [dimension(visual, 'category', q.category)];
  if (q.colors !== undefined) wells.colors = [dimension(visual, 'color', q.colors)];
  const configuration: Block = { field_wells: { bar_chart_aggregated_field_wells: wells }, orientation: q.top !== undefined ? 'HORIZONTAL' : 'VERTICAL' };
  if (q.colors !== undefined) configuration.bars_arrangement = 'STACKED';
  if (q.top !== undefined) {
    configuration.sort_configuration = {
      category_items_limit: { items_limit: q.top, other_categories: 'EXCLUDE' },
      category_sort: [{ field_sort: { field_id: fieldId(visual, 'value', 0), direction: 'DESC' } }],
    };
  }
  return { bar_chart_visual: { visual_id: visual.id, title: title(visual), chart_configuration: configuration } };
}

/** Every column a visual's field wells name. */
export function fieldWellColumns(visual: VisualDefinition): string[] {
  const q = visual.quicksight;
  return [q.category, q.colors, ...q.values].filter((f): f is QuickSightField => f !== undefined).map((f) => f.column);
}

const scope = (visualIds: string[]): Block => ({
  selected_sheets: { sheet_visual_scoping_configurations: [{ sheet_id: SHEET_ID, scope: 'SELECTED_VISUALS', visual_ids: visualIds }] },
});

/** Filter groups: the window (an age filter bound to the window parameter), the customer, and per-visual status filters. */
function filterGroups(): Block[] {
  const windowed = DASHBOARD_VISUALS.filter((v) => v.quicksight.ignoresWindow !== true).map((v) => v.id);
  const groups: Block[] = [
    {
      filter_group_id: 'window',
      cross_dataset: 'SINGLE_DATASET',
      status: 'ENABLED',
      scope_configuration: scope(windowed),
      filters: [
        {
          numeric_range_filter: {
            filter_id: 'window-filter',
            column: column('age_hours'),
            include_maximum: false,
            range_maximum: { parameter: WINDOW_PARAMETER },
            null_option: 'NON_NULLS_ONLY',
          },
        },
      ],
    },
    {
      filter_group_id: 'customer',
      cross_dataset: 'SINGLE_DATASET',
      status: 'ENABLED',
      scope_configuration: { selected_sheets: { sheet_visual_scoping_configurations: [{ sheet_id: SHEET_ID, scope: 'ALL_VISUALS' }] } },
      filters: [
        {
          category_filter: {
            filter_id: CUSTOMER_FILTER_ID,
            column: column('customer_id'),
            configuration: { filter_list_configuration: { match_operator: 'CONTAINS', select_all_options: 'FILTER_ALL_VALUES' } },
          },
        },
      ],
    },
  ];
  for (const visual of DASHBOARD_VISUALS) {
    const statuses = visual.quicksight.statuses;
    if (statuses === undefined) continue;
    groups.push({
      filter_group_id: `${visual.id}-status`,
      cross_dataset: 'SINGLE_DATASET',
      status: 'ENABLED',
      scope_configuration: scope([visual.id]),
      filters: [
        {
          category_filter: {
            filter_id: `${visual.id}-status-filter`,
            column: column('status'),
            configuration: { filter_list_configuration: { match_operator: 'CONTAINS', category_values: statuses } },
          },
        },
      ],
    });
  }
  return groups;
}

/**
 * The QuickSight analysis/dashboard definition (Terraform's `definition` block, snake_case as the
 * AWS provider's schema names it): one sheet with every visual of the shared dashboard
 * definition, the window control (a parameter in hours: 1, 24 or 168) and the customer control.
 */
export function quickSightDefinition(dataSetArn: string, stuckAfterSeconds: number): Block {
  const windows = Object.values(DASHBOARD_WINDOWS).map(String);
  return {
    data_set_identifiers_declarations: [{ identifier: DATA_SET_IDENTIFIER, data_set_arn: dataSetArn }],
    calculated_fields: quickSightCalculatedFields(stuckAfterSeconds).map((f) => ({ data_set_identifier: DATA_SET_IDENTIFIER, ...f })),
    parameter_declarations: [
      { integer_parameter_declaration: { name: WINDOW_PARAMETER, parameter_value_type: 'SINGLE_VALUED', default_values: { static_values: [DASHBOARD_WINDOWS['24h']] } } },
    ],
    filter_groups: filterGroups(),
    sheets: [
      {
        sheet_id: SHEET_ID,
        name: 'Operations',
        parameter_controls: [
          {
            dropdown: {
              parameter_control_id: 'window-control',
              title: 'Window (hours)',
              source_parameter_name: WINDOW_PARAMETER,
              type: 'SINGLE_SELECT',
              selectable_values: { values: windows },
            },
          },
        ],
        filter_controls: [{ dropdown: { filter_control_id: 'customer-control', title: 'Customer', source_filter_id: CUSTOMER_FILTER_ID, type: 'MULTI_SELECT' } }],
        visuals: DASHBOARD_VISUALS.map(quickSightVisual),
      },
    ],
  };
}
