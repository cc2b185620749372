// Package migrations embeds every service's goose migrations, so each binary
// brings its schema with it and applies it at start (internal/postgres).
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed product/migrations/*.sql order/migrations/*.sql paymentgw/migrations/*.sql
var files embed.FS

// Product is the product database's migration directory.
func Product() fs.FS { return dir("product") }

// Order is the order database's migration directory.
func Order() fs.FS { return dir("order") }

// PaymentGW is the payment gateway database's migration directory.
func PaymentGW() fs.FS { return dir("paymentgw") }

func dir(service string) fs.FS {
	sub, err := fs.Sub(files, service+"/migrations")
	if err != nil {
		panic(err) // the directories are embedded above; this cannot fail
	}
	return sub
}
