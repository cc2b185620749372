// Package paymentgwsql embeds the payment gateway database's migrations.
package paymentgwsql

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations is the goose migration directory of the payment gateway database.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded above; this cannot fail
	}
	return sub
}
