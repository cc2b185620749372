// Package web is the storefront's browser code (TypeScript, React, urql;
// see README.md) as the Go binary cmd/storefront serves it: the built site
// and the trusted documents, embedded.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Site is the built single-page application (npm run build → dist/site):
// index.html and the content-hashed files under assets/. Built reports
// whether it holds one: a binary compiled before `make web` has none.
func Site() (site fs.FS, built bool) {
	sub, err := fs.Sub(dist, "dist/site")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return sub, false
	}
	return sub, true
}

// TrustedDocuments is the persisted-documents manifest GraphQL Code
// Generator emits ({"sha256:<hex>": "<document>"}): every operation the
// storefront sends, the browser's and its server's (src/graphql/bff.graphql).
// config/trusted-documents.json is the same set for the router.
//
//go:embed src/gql/persisted-documents.json
var TrustedDocuments []byte
