// Package orderdb holds the order database's SQL: its goose migrations, which
// the service embeds and applies at start (internal/postgres), and the
// queries sqlc turns into typed Go. Each service embeds only its own
// database's migrations.
package orderdb

import (
	"embed"
	"io/fs"

	"github.com/virtual-store/virtual-store/internal/postgres"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrations is the order database's migration directory.
func Migrations() fs.FS { return postgres.Embedded(files, "migrations") }
