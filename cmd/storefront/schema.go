package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/schema"
)

// subgraphNames are the store's subgraphs in the order the router composes
// them (router/internal/storegraph, dashboards.Subgraphs).
var subgraphNames = []string{"user", "product", "order"}

// runSchema prints the router's public API schema, composed offline from the
// subgraph SDLs checked into the repository (graph/schema/shared.graphqls
// followed by subgraphs/<name>/schema.graphqls, as each subgraph serves its
// `_service { sdl }`), with the router's own composition and API filter: the
// schema GraphQL Code Generator checks the storefront's operations against.
// `router schema` prints the same from running subgraphs.
func runSchema(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("storefront schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "the repository's root directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	sdl, err := apiSchema(*root)
	if err != nil {
		fmt.Fprintln(stderr, "storefront schema:", err)
		return 1
	}
	fmt.Fprint(stdout, sdl)
	return 0
}

// apiSchema composes the supergraph from the repository's SDLs and returns
// its public API schema.
func apiSchema(root string) (string, error) {
	shared, err := os.ReadFile(filepath.Join(root, "graph", "schema", "shared.graphqls"))
	if err != nil {
		return "", err
	}
	var subgraphs []compose.Subgraph
	for _, name := range subgraphNames {
		b, err := os.ReadFile(filepath.Join(root, "subgraphs", name, "schema.graphqls"))
		if err != nil {
			return "", err
		}
		subgraphs = append(subgraphs, compose.Subgraph{Name: name, URL: "http://" + name + "/graphql", SDL: string(shared) + "\n" + string(b)})
	}
	sdl, err := compose.Compose(subgraphs)
	if err != nil {
		return "", err
	}
	_, api, err := schema.Load(sdl)
	if err != nil {
		return "", err
	}
	return api.SDL, nil
}
