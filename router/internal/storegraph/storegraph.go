// Package storegraph composes the virtual-store subgraphs' schemas from the
// repository, for the router's tests: the supergraph `make run` serves.
package storegraph

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/virtual-store/virtual-store/router/compose"
)

// Supergraph composes the user, product and order schemas (shared types
// included, as their `_service { sdl }` serves them) with the given URLs.
func Supergraph(urls map[string]string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	shared, err := os.ReadFile(filepath.Join(root, "graph", "schema", "shared.graphqls"))
	if err != nil {
		return "", err
	}
	var subgraphs []compose.Subgraph
	for _, name := range []string{"user", "product", "order"} {
		b, err := os.ReadFile(filepath.Join(root, "subgraphs", name, "schema.graphqls"))
		if err != nil {
			return "", err
		}
		url := urls[name]
		if url == "" {
			url = "http://" + name + "/graphql"
		}
		subgraphs = append(subgraphs, compose.Subgraph{Name: name, URL: url, SDL: string(shared) + "\n" + string(b)})
	}
	return compose.Compose(subgraphs)
}
