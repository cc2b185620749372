// Command dashboards writes the store's Grafana dashboards (package
// dashboards) as JSON files:
//
//	go run ./cmd/dashboards -out dashboards
//
// It reads the subgraph schemas and generated executors under -root (the
// repository, by default the working directory) for the per-resolver
// dashboard. The output depends on nothing else: the same sources give the
// same bytes, which dashboards_test.go and `make check-generated` compare.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/virtual-store/virtual-store/dashboards"
)

func main() {
	out := flag.String("out", "dashboards", "directory to write the JSON files into")
	root := flag.String("root", ".", "the repository (schemas and subgraphs/<name>/generated are read there)")
	compact := flag.Bool("compact", false, "write compact JSON (for ConfigMaps: kubectl apply keeps a copy in an annotation of at most 256 KiB)")
	flag.Parse()
	ds, err := dashboards.Generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !*compact {
		err = dashboards.Write(*out, ds)
	} else {
		err = writeCompact(*out, ds)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var files []string
	for _, d := range ds {
		files = append(files, d.File)
	}
	slices.Sort(files)
	fmt.Printf("wrote %d dashboards to %s: %v\n", len(ds), *out, files)
}

// writeCompact writes every dashboard as one line of JSON.
func writeCompact(dir string, ds []dashboards.Dashboard) error {
	files, err := dashboards.Render(ds)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		buf.WriteByte('\n')
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
