package plan_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
	"github.com/virtual-store/virtual-store/router/plan/optimize"
	"github.com/virtual-store/virtual-store/router/schema"
	"github.com/virtual-store/virtual-store/router/supergraph"
)

var update = flag.Bool("update", false, "rewrite testdata/*/*.plan with the plans made now (read the diff before committing it)")

// TestGoldenPlans plans every operation of every feature directory in
// testdata/ and compares the plan, as `router plan` prints it (planned,
// optimized, formatted), with the expected one beside the operation.
//
// A feature directory holds:
//   - the subgraphs, one SDL per file (<name>.graphqls: subgraph <name> at
//     http://<name>), composed by router/compose; or a supergraph.graphqls
//     composed elsewhere (Apollo, Hive), read as it is;
//   - operations, <case>.graphql, whose leading comments say what the case
//     proves; a comment line "# variables: {...}" gives the variables and
//     "# labels: a,b" the progressive override labels turned on;
//   - the expected plans, <case>.plan: the plan, or "error: " and why the
//     operation was refused (by validation or by the planner).
func TestGoldenPlans(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() || filepath.Base(dir) == "fuzz" {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			sg, api := loadFeature(t, dir)
			ops, err := filepath.Glob(filepath.Join(dir, "*.graphql"))
			if err != nil || len(ops) == 0 {
				t.Fatalf("no operations in %s (%v)", dir, err)
			}
			for _, op := range ops {
				name := strings.TrimSuffix(filepath.Base(op), ".graphql")
				t.Run(name, func(t *testing.T) {
					checkGolden(t, strings.TrimSuffix(op, ".graphql")+".plan", planFile(t, sg, api, op))
				})
			}
		})
	}
}

// loadFeature reads a feature directory's supergraph, composing its subgraphs.
func loadFeature(t *testing.T, dir string) (*supergraph.Supergraph, *ast.Schema) {
	t.Helper()
	sdl, err := os.ReadFile(filepath.Join(dir, "supergraph.graphqls"))
	if os.IsNotExist(err) {
		var files []string
		if files, err = filepath.Glob(filepath.Join(dir, "*.graphqls")); err != nil {
			t.Fatal(err)
		}
		var subgraphs []compose.Subgraph
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimSuffix(filepath.Base(f), ".graphqls")
			subgraphs = append(subgraphs, compose.Subgraph{Name: name, URL: "http://" + name, SDL: string(b)})
		}
		var composed string
		if composed, err = compose.Compose(subgraphs); err != nil {
			t.Fatal(err)
		}
		sdl = []byte(composed)
	} else if err != nil {
		t.Fatal(err)
	}
	sg, api, err := schema.Load(string(sdl))
	if err != nil {
		t.Fatal(err)
	}
	return sg, api.Schema
}

// planFile plans the operation in file as `router plan` would, with the
// variables and labels its header comments give; a refusal is the result
// "error: ...".
func planFile(t *testing.T, sg *supergraph.Supergraph, api *ast.Schema, file string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rawVars, labels := header(t, string(src))
	doc, errs := gqlparser.LoadQuery(api, string(src))
	if len(errs) > 0 {
		return "error: " + errs.Error() + "\n"
	}
	vars, err := validator.VariableValues(api, doc.Operations[0], rawVars)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	op, err := normalize.Normalize(api, doc, doc.Operations[0], vars)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	pl, err := plan.New(sg.WithLabels(labels), api).Plan(op)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	optimize.Apply(pl)
	return plan.Format(pl)
}

// header reads the "# variables:" and "# labels:" comment lines of an operation.
func header(t *testing.T, src string) (vars map[string]any, labels map[string]bool) {
	t.Helper()
	labels = map[string]bool{}
	for _, line := range strings.Split(src, "\n") {
		if v, ok := strings.CutPrefix(line, "# variables:"); ok {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber() // as the router reads request bodies
			if err := dec.Decode(&vars); err != nil {
				t.Fatalf("variables: %v", err)
			}
		}
		if v, ok := strings.CutPrefix(line, "# labels:"); ok {
			for _, l := range strings.Split(v, ",") {
				labels[strings.TrimSpace(l)] = true
			}
		}
	}
	return vars, labels
}

// checkGolden compares got with the file's content, or rewrites the file
// with -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./router/plan -run TestGoldenPlans -update to write it, then read it)", err)
	}
	if got != string(want) {
		t.Errorf("%s:\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}
