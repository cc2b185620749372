package supergraph

import (
	"os"
	"strings"
	"testing"
)

// testSupergraph is a small supergraph in the format Apollo and Hive
// composition emit (shared with the schema package's tests).
var testSupergraph = func() string {
	b, err := os.ReadFile("testdata/small.graphql")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func TestParse(t *testing.T) {
	sg, err := Parse(testSupergraph)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg.Graphs) != 2 || sg.Graph("REVIEWS").URL != "http://reviews/graphql" {
		t.Fatalf("graphs %+v", sg.Graphs)
	}
	user := sg.Type("User")
	if keys := user.In["REVIEWS"].Keys; len(keys) != 2 || keys[0].Resolvable || !keys[1].Resolvable || len(keys[1].Selection) != 1 {
		t.Fatalf("User keys in reviews: %+v", keys)
	}
	if len(user.In["REVIEWS"].ResolvableKeys()) != 1 {
		t.Fatal("resolvable: false key counted")
	}
	if g := user.Fields["id"].ResolvingGraphs(); len(g) != 2 {
		t.Errorf("User.id (no @join__field) resolved by %v, want both graphs", g)
	}
	if user.Fields["org"].ResolvableIn("REVIEWS") || !user.Fields["org"].ResolvableIn("ACCOUNTS") {
		t.Error("external field counted as resolvable")
	}
	if rc := user.Fields["reviewCount"].In["REVIEWS"]; rc.RequiresText != "name" || len(rc.Requires) != 1 {
		t.Errorf("requires: %+v", rc)
	}
	if m := sg.Type("Thing").Members["ACCOUNTS"]; len(m) != 1 || m[0] != "User" {
		t.Errorf("union members %v", m)
	}
	if v := sg.Type("Color").EnumValues["BLUE"]; len(v) != 1 || v[0] != "ACCOUNTS" {
		t.Errorf("enum value graphs %v", v)
	}
}

func TestParseRejectsNonSupergraphs(t *testing.T) {
	for name, sdl := range map[string]string{
		"not GraphQL":    "type {",
		"no join__Graph": "type Query { a: Int }",
		"unknown graph":  testSupergraph + "\ntype X @join__type(graph: NOPE) { a: Int }",
	} {
		if _, err := Parse(sdl); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestWithLabels(t *testing.T) {
	sdl := strings.Replace(testSupergraph, "usedOverridden: Boolean", "usedOverridden: Boolean, overrideLabel: String", 1)
	sdl = strings.Replace(sdl, `name: String @join__field(graph: ACCOUNTS)`,
		`name: String @join__field(graph: REVIEWS, override: "accounts", overrideLabel: "beta") @join__field(graph: ACCOUNTS, overrideLabel: "beta")`, 1)
	sg, err := Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	if got := sg.OverrideLabels(); len(got) != 1 || got[0] != "beta" {
		t.Fatalf("labels %v", got)
	}
	on := sg.WithLabels(map[string]bool{"beta": true}).Type("User").Fields["name"].ResolvingGraphs()
	off := sg.WithLabels(nil).Type("User").Fields["name"].ResolvingGraphs()
	if len(on) != 1 || on[0] != "REVIEWS" || len(off) != 1 || off[0] != "ACCOUNTS" {
		t.Fatalf("beta on: %v, off: %v", on, off)
	}
	if both := sg.Type("User").Fields["name"].ResolvingGraphs(); len(both) != 2 {
		t.Fatalf("the original supergraph changed: %v", both)
	}
}

// BenchmarkParse reads a supergraph into the model (once per supergraph).
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(testSupergraph); err != nil {
			b.Fatal(err)
		}
	}
}
