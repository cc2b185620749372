// Command order serves the order subgraph: carts, checkout and orders.
package main

import (
	"os"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/order"
)

func main() {
	os.Exit(service.Main("order", "ORDER_", order.Start))
}
