// Command product serves the product subgraph: the catalog, prices and stock,
// over GraphQL (federated by the router) and an internal reservation API.
package main

import (
	"os"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/product"
)

func main() {
	os.Exit(service.Main("product", "PRODUCT_", product.Start))
}
