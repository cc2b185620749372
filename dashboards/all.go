package dashboards

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Generate builds every dashboard from the repository at root (the
// resolvers dashboard reads the schemas and the subgraphs' generated
// executors there), in a fixed order: overview, router, the services,
// resolvers.
func Generate(root string) ([]Dashboard, error) {
	sg, err := ComposeSupergraph(root)
	if err != nil {
		return nil, err
	}
	fields, err := ResolverFields(root, sg)
	if err != nil {
		return nil, err
	}
	out := []Dashboard{Overview(), Router()}
	for _, s := range Services {
		out = append(out, Service(s))
	}
	out = append(out, Resolvers(fields))
	for i := range out {
		out[i].layout()
	}
	return out, nil
}

// All is every dashboard of this repository, laid out (panel ids and grid
// positions set): Generate on the repository this package is in.
func All() ([]Dashboard, error) { return Generate(RepoRoot()) }

// RepoRoot is the repository this source file is in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

// Dir is the directory the JSON files are committed in: this package's.
func Dir() string { return filepath.Join(RepoRoot(), "dashboards") }

// Render is every dashboard's JSON by file name.
func Render(ds []Dashboard) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range ds {
		if _, dup := out[d.File]; dup {
			return nil, fmt.Errorf("dashboards: two dashboards write %s", d.File)
		}
		b, err := d.JSON()
		if err != nil {
			return nil, err
		}
		out[d.File] = b
	}
	return out, nil
}

// Write writes every dashboard's JSON into dir, leaving a file whose content
// is already right untouched.
func Write(dir string, ds []Dashboard) error {
	files, err := Render(ds)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
