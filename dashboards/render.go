package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// GridWidth is Grafana's grid: 24 columns.
const GridWidth = 24

const (
	defaultW = 8
	defaultH = 8
)

// layout numbers the rows and panels (1, 2, ... in order) and places them on
// the grid: panels flow left to right within their row and wrap at 24
// columns. The panels of a collapsed row sit below it as they will when it
// is opened, and the next row follows the collapsed one directly.
func (d *Dashboard) layout() {
	var id, y uint32
	for ri := range d.Rows {
		r := &d.Rows[ri]
		id++
		r.ID, r.Y = id, y
		y++
		var x, lineH uint32
		py := y
		for pi := range r.Panels {
			p := &r.Panels[pi]
			if p.W == 0 {
				p.W = defaultW
			}
			if p.H == 0 {
				p.H = defaultH
			}
			if x+p.W > GridWidth {
				x, py, lineH = 0, py+lineH, 0
			}
			id++
			p.ID, p.X, p.Y = id, x, py
			x += p.W
			lineH = max(lineH, p.H)
		}
		if !r.Collapsed {
			y = py + lineH
		}
		for pi := range r.Panels {
			p := &r.Panels[pi]
			for qi := range p.Queries {
				if p.Queries[qi].RefID == "" {
					p.Queries[qi].RefID = string(rune('A' + qi))
				}
			}
		}
	}
}

// datasource is the panels' and queries' data source: the variable.
func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}
}

// Grafana renders the dashboard with the SDK's builders.
func (d Dashboard) Grafana() (dashboard.Dashboard, error) {
	d.Rows = slices.Clone(d.Rows)
	for i := range d.Rows {
		d.Rows[i].Panels = slices.Clone(d.Rows[i].Panels)
	}
	d.layout()
	b := dashboard.NewDashboardBuilder(d.Title).
		Uid(d.UID).
		Description(d.Description).
		Tags([]string{Tag}).
		Time("now-1h", "now").
		Refresh("30s").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly().
		Timepicker(dashboard.NewTimePickerBuilder().
			RefreshIntervals([]string{"10s", "30s", "1m", "5m", "15m", "1h"})).
		Link(dashboard.NewDashboardLinkBuilder("virtual-store dashboards").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true).
			Icon("external link").
			Tooltip("")).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data source").
			Type("prometheus")).
		WithVariable(queryVariable("namespace", "Namespace", `label_values(up{job="`+Job+`"}, namespace)`)).
		WithVariable(queryVariable("instance", "Instance", instanceQuery(d.Service)))
	for _, r := range d.Rows {
		row := dashboard.NewRowBuilder(r.Title).
			Id(r.ID).
			Collapsed(r.Collapsed).
			GridPos(dashboard.GridPos{X: 0, Y: r.Y, W: GridWidth, H: 1})
		if r.Collapsed {
			for _, p := range r.Panels {
				row.WithPanel(p.builder())
			}
			b.WithRow(row)
			continue
		}
		// An open row's panels follow it at the top level: Grafana drops
		// panels nested in a row that is not collapsed.
		b.WithRow(row)
		for _, p := range r.Panels {
			b.WithPanel(p.builder())
		}
	}
	out, err := b.Build()
	if err != nil {
		return out, fmt.Errorf("dashboards: %s: %w", d.File, err)
	}
	for i := range out.Links {
		// Shown next to the variables, in every Grafana version (the SDK
		// defaults to Grafana 12's controls menu).
		out.Links[i].Placement = nil
	}
	for i := range out.Templating.List {
		// The SDK gives every variable an interval variable's auto,
		// auto_min and auto_count; Grafana's dashboard schema has no such
		// fields on the others (@grafana/schema, make dashboards-schema).
		if v := &out.Templating.List[i]; v.Type != dashboard.VariableTypeInterval {
			v.Auto, v.AutoMin, v.AutoCount = nil, nil, nil
		}
	}
	return out, nil
}

// instanceQuery lists the instances of a service (of every service without
// one) in the selected namespaces.
func instanceQuery(service string) string {
	sel := `job="` + Job + `"`
	switch {
	case strings.Contains(service, "|"):
		sel += `, service=~"` + service + `"`
	case service != "":
		sel += `, service="` + service + `"`
	}
	return `label_values(up{` + sel + `, namespace=~"$namespace"}, instance)`
}

// queryVariable is a multi-value Prometheus query variable with All (.*)
// selected by default.
func queryVariable(name, label, query string) *dashboard.QueryVariableBuilder {
	all := dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
	}
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(datasource()).
		// No Definition: it only repeats the query, and Grafana's dashboard
		// schema has no definition field (make dashboards-schema).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".*").
		Current(all)
}

func (t Thresholds) builder() *dashboard.ThresholdsConfigBuilder {
	steps := []dashboard.Threshold{{Value: nil, Color: t.Base}}
	for _, s := range t.Steps {
		steps = append(steps, dashboard.Threshold{Value: cog.ToPtr(s.Value), Color: s.Color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func (p Panel) targets() []cog.Builder[variants.Dataquery] {
	var out []cog.Builder[variants.Dataquery]
	for _, qu := range p.Queries {
		t := prometheus.NewDataqueryBuilder().
			RefId(qu.RefID).
			Datasource(datasource()).
			Expr(qu.Expr).
			LegendFormat(qu.Legend)
		if qu.Instant || p.Kind == Stat {
			t.Instant()
		} else {
			t.Range()
		}
		out = append(out, t)
	}
	return out
}

func (p Panel) builder() cog.Builder[dashboard.Panel] {
	grid := dashboard.GridPos{X: p.X, Y: p.Y, W: p.W, H: p.H}
	switch p.Kind {
	case Stat:
		b := stat.NewPanelBuilder().
			Id(p.ID).
			Title(p.Title).
			Datasource(datasource()).
			GridPos(grid).
			Unit(p.Unit).
			Thresholds(p.Thresholds.builder()).
			ColorMode(common.BigValueColorModeValue).
			GraphMode(common.BigValueGraphModeNone).
			JustifyMode(common.BigValueJustifyModeAuto).
			TextMode(common.BigValueTextModeAuto).
			// The SDK writes "" when unset; the schema allows auto, horizontal
			// and vertical (auto is what Grafana does with "").
			Orientation(common.VizOrientationAuto).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
			Targets(p.targets())
		if p.Description != "" {
			b.Description(p.Description)
		}
		if p.Min != nil {
			b.Min(*p.Min)
		}
		if p.Max != nil {
			b.Max(*p.Max)
		}
		return b
	default:
		b := timeseries.NewPanelBuilder().
			Id(p.ID).
			Title(p.Title).
			Datasource(datasource()).
			GridPos(grid).
			Unit(p.Unit).
			Thresholds(p.Thresholds.builder()).
			LineWidth(1).
			FillOpacity(10).
			ShowPoints(common.VisibilityModeNever).
			Legend(common.NewVizLegendOptionsBuilder().
				ShowLegend(true).
				DisplayMode(common.LegendDisplayModeList).
				Placement(common.LegendPlacementBottom)).
			Tooltip(common.NewVizTooltipOptionsBuilder().
				Mode(common.TooltipDisplayModeMulti).
				Sort(common.SortOrderDescending)).
			Targets(p.targets())
		if len(p.Thresholds.Steps) > 0 {
			b.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
		} else {
			b.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeOff))
		}
		if p.Description != "" {
			b.Description(p.Description)
		}
		if p.Min != nil {
			b.Min(*p.Min)
		}
		if p.Max != nil {
			b.Max(*p.Max)
		}
		if p.Stack {
			b.Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))
		}
		for _, ref := range slices.Sorted(maps.Keys(p.RightAxis)) {
			b.OverrideByQuery(ref, []dashboard.DynamicConfigValue{
				{Id: "unit", Value: p.RightAxis[ref]},
				{Id: "custom.axisPlacement", Value: "right"},
			})
		}
		return b
	}
}

// JSON is the dashboard as Grafana JSON: indented by two spaces, with a
// final newline, <, > and & written as themselves (PromQL has them), the
// same bytes for the same input.
func (d Dashboard) JSON() ([]byte, error) {
	g, err := d.Grafana()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		return nil, fmt.Errorf("dashboards: %s: %w", d.File, err)
	}
	return unescapeHTML(buf.Bytes()), nil
}

// unescapeHTML turns the \u003c, \u003e and \u0026 escapes that json.Marshal
// writes (the SDK's MarshalJSON methods call it) back into <, > and &,
// inside strings only and never an escaped backslash's "u".
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
			}
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(b):
			if b[i+1] == 'u' && i+5 < len(b) {
				switch string(b[i+2 : i+6]) {
				case "003c":
					out, i = append(out, '<'), i+5
					continue
				case "003e":
					out, i = append(out, '>'), i+5
					continue
				case "0026":
					out, i = append(out, '&'), i+5
					continue
				}
			}
			out, i = append(out, c, b[i+1]), i+1
			continue
		}
		out = append(out, c)
	}
	return out
}
