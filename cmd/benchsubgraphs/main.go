// Command benchsubgraphs serves the four subgraphs of the public GraphQL
// gateway benchmark (accounts, inventory, products, reviews) on consecutive
// ports, for measuring routers: see `make bench-gateway`. With -generate N
// they serve N more products, with reviews and users, so answers can be
// scaled (`make bench-curves`); the benchmark itself runs without.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/pki"

	"github.com/virtual-store/virtual-store/bench/subgraphs"
	"github.com/virtual-store/virtual-store/bench/subgraphs/accounts"
	accountsgen "github.com/virtual-store/virtual-store/bench/subgraphs/accounts/generated"
	"github.com/virtual-store/virtual-store/bench/subgraphs/inventory"
	inventorygen "github.com/virtual-store/virtual-store/bench/subgraphs/inventory/generated"
	"github.com/virtual-store/virtual-store/bench/subgraphs/products"
	productsgen "github.com/virtual-store/virtual-store/bench/subgraphs/products/generated"
	"github.com/virtual-store/virtual-store/bench/subgraphs/reviews"
	reviewsgen "github.com/virtual-store/virtual-store/bench/subgraphs/reviews/generated"
)

func main() {
	base := flag.Int("port", 4201, "port of the first subgraph; the others follow")
	tlsDir := flag.String("tls-dir", "", "serve mutual TLS with the certificate in DIR (tls.crt, tls.key, ca.crt), as the store's services do")
	generate := flag.Int("generate", 0, "also serve N generated products, each with two reviews by generated users (changes the benchmark query's answer)")
	flag.Parse()
	subgraphs.Generate(*generate)
	var identity *pki.Source
	if *tlsDir != "" {
		var err error
		if identity, err = pki.Load(pki.InDir(*tlsDir), slog.Default()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	schemas := []struct {
		name string
		es   graphql.ExecutableSchema
	}{
		{"accounts", accountsgen.NewExecutableSchema(accountsgen.Config{Resolvers: &accounts.Resolver{}})},
		{"inventory", inventorygen.NewExecutableSchema(inventorygen.Config{Resolvers: &inventory.Resolver{}})},
		{"products", productsgen.NewExecutableSchema(productsgen.Config{Resolvers: &products.Resolver{}})},
		{"reviews", reviewsgen.NewExecutableSchema(reviewsgen.Config{Resolvers: &reviews.Resolver{}})},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var servers []*http.Server
	var list string
	for i, s := range schemas {
		srv := handler.New(s.es)
		srv.AddTransport(transport.POST{})
		srv.SetQueryCache(lru.New[*ast.QueryDocument](100))
		srv.Use(extension.Introspection{}) // serves _service { sdl } for composition
		addr := fmt.Sprintf("127.0.0.1:%d", *base+i)
		hs := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, hs)
		scheme := "http"
		if identity != nil {
			hs.TLSConfig, scheme = identity.ServerTLS(), "https"
			addr = fmt.Sprintf("localhost:%d", *base+i) // the name the certificate carries
		}
		go func() {
			var err error
			if identity != nil {
				err = hs.ListenAndServeTLS("", "")
			} else {
				err = hs.ListenAndServe()
			}
			if err != nil && err != http.ErrServerClosed {
				fmt.Fprintln(os.Stderr, s.name+":", err)
				os.Exit(1)
			}
		}()
		if list != "" {
			list += ","
		}
		list += fmt.Sprintf("%s=%s://%s/graphql", s.name, scheme, addr)
	}
	fmt.Println("ROUTER_SUBGRAPHS=" + list)
	<-ctx.Done()
	for _, hs := range servers {
		_ = hs.Shutdown(context.Background())
	}
}
