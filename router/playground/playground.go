// Package playground serves GraphiQL with its assets embedded in the binary,
// so the playground works on a laptop or cluster with no internet access.
package playground

import (
	"embed"
	"html/template"
	"net/http"
	"strings"
)

//go:embed assets/*.js assets/*.css
var assets embed.FS

var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.Assets}}/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading…</div>
<script src="{{.Assets}}/react.production.min.js"></script>
<script src="{{.Assets}}/react-dom.production.min.js"></script>
<script src="{{.Assets}}/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: {{.Endpoint}}, headers: {} });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultEditorToolbarOpen: true,
      shouldPersistHeaders: true,
      defaultQuery: {{.DefaultQuery}},
    }),
  );
</script>
</body>
</html>
`))

// defaultQuery is what a newcomer sees first: a real query against the store.
const defaultQuery = `# Welcome to virtual-store. Press ▶ to run.
# Sign in with the login mutation and put the accessToken into the
# Headers tab as {"Authorization": "Bearer <token>"} for cart and checkout.
query Catalog {
  products(first: 5) {
    edges {
      node { id name price { amount currency formatted } }
    }
  }
}
`

// Handler serves the page at any path and the assets under prefix+"/assets".
// endpoint is the GraphQL URL the page calls.
func Handler(prefix, endpoint string) http.Handler {
	files := http.FileServer(http.FS(assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, prefix+"/assets/"); ok {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/assets/" + rest
			files.ServeHTTP(w, r2)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_ = page.Execute(w, map[string]string{
			"Title": "virtual-store GraphQL", "Assets": prefix + "/assets",
			"Endpoint": endpoint, "DefaultQuery": defaultQuery,
		})
	})
}

// WantsHTML reports a browser navigating to the URL (not a GraphQL client).
func WantsHTML(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Get("query") == "" &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}
