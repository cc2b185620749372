// The dashboard type that scripts/dashboards-schema.sh checks each generated
// dashboard against, on top of @grafana/schema's `Dashboard`: that type leaves
// a panel's options, fieldConfig.defaults.custom and targets as
// Record<string, unknown>, so here they take the types Grafana publishes for
// the panel plugins the dashboards use (timeseries, stat) and for a query.
// Only types from @grafana/schema; nothing hand-written about a field's shape.
import type { DataQuery, FieldConfig, FieldConfigSource, Panel, RowPanel, Dashboard } from '@grafana/schema';
import type * as timeseries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type * as stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';

// @grafana/schema has no Prometheus query type (it lives in @grafana/prometheus):
// the common query fields are checked, the datasource's own ones pass.
type Target = DataQuery & Record<string, unknown>;

type TypedPanel<T extends string, Options, Custom> = Omit<Panel, 'type' | 'options' | 'targets' | 'fieldConfig'> & {
  type: T;
  options?: Options;
  targets?: Target[];
  fieldConfig?: Omit<FieldConfigSource, 'defaults'> & {
    defaults: Omit<FieldConfig, 'custom'> & { custom?: Custom };
  };
};

export type StrictPanel =
  | TypedPanel<'timeseries', timeseries.Options, timeseries.FieldConfig>
  | TypedPanel<'stat', stat.Options, Record<string, never>>;

export type StrictRow = Omit<RowPanel, 'panels'> & { type: 'row'; panels: StrictPanel[] };

export type StrictDashboard = Omit<Dashboard, 'panels'> & { panels?: Array<StrictPanel | StrictRow> };

// The schema's enumerations are TypeScript string enums (ThresholdsMode,
// LegendDisplayMode, ...), which no string literal is assignable to, though
// JSON can only hold the string: Json<T> is T with each enum replaced by the
// union of its values ("absolute" | "percentage"), everything else unchanged.
// Numeric enums (VariableHide) already accept their values.
export type Json<T> = unknown extends T
  ? T
  : T extends string
    ? `${T}`
    : T extends readonly (infer U)[]
      ? Json<U>[]
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;
