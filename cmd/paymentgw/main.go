// Command paymentgw serves the mock payment gateway (see package paymentgw).
package main

import (
	"os"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/paymentgw"
)

func main() {
	os.Exit(service.Main("paymentgw", "PAYMENTGW_", paymentgw.Start))
}
