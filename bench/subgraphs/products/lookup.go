package products

import (
	"github.com/virtual-store/virtual-store/bench/subgraphs"
	"github.com/virtual-store/virtual-store/bench/subgraphs/products/generated"
)

func product(upc string) *generated.Product {
	p, ok := subgraphs.ProductByUPC(upc)
	if !ok {
		return nil
	}
	return &generated.Product{Upc: p.UPC, Name: &p.Name, Price: &p.Price, Weight: &p.Weight}
}
