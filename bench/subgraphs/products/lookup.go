package products

import (
	"github.com/virtual-store/virtual-store/bench/subgraphs"
	"github.com/virtual-store/virtual-store/bench/subgraphs/products/generated"
)

func product(upc string) *generated.Product {
	for _, p := range subgraphs.Products {
		if p.UPC == upc {
			return &generated.Product{Upc: p.UPC, Name: &p.Name, Price: &p.Price, Weight: &p.Weight}
		}
	}
	return nil
}
