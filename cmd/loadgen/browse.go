package main

import (
	"context"
	mrand "math/rand/v2"
)

// The catalog as shoppers see it: listings, searches, product pages.

// someCurrency is USD now and then (the demo catalog has EUR and USD prices).
func (sh *shop) someCurrency() string {
	if mrand.IntN(5) == 0 {
		return "USD"
	}
	return sh.currency
}

var sorts = []string{"RELEVANCE", "NAME", "NEWEST", "PRICE_ASC", "PRICE_DESC"}

// browse: a listing with filters and a sort order, and a page or two more;
// or (one time in four) a category's page.
func (sh *shop) browse(ctx context.Context) error {
	if mrand.IntN(3) == 0 {
		if err := sh.c.call(ctx, opCategories, nil, "", nil); err != nil {
			return err
		}
	}
	if c := sh.catalog.category(); c != "" && mrand.IntN(4) == 0 {
		var out struct {
			Category *struct {
				Products struct{ Edges []struct{ Node product } }
			}
		}
		if err := sh.c.call(ctx, opCategoryPage, categoryPageVars(c, 12, sorts[mrand.IntN(len(sorts))], sh.someCurrency()), "", &out); err != nil {
			return err
		}
		if out.Category != nil {
			for _, e := range out.Category.Products.Edges {
				sh.catalog.seen(e.Node)
			}
		}
		return nil
	}
	filter := map[string]any{}
	if c := sh.catalog.category(); c != "" && mrand.IntN(2) == 0 {
		filter["categoryId"] = c
	}
	if mrand.IntN(3) == 0 {
		filter["inStock"] = true
	}
	if mrand.IntN(4) == 0 {
		lo := 500 * mrand.IntN(10)
		filter["minPrice"], filter["maxPrice"] = lo, lo+5000+1000*mrand.IntN(20)
	}
	sortBy, currency, first := sorts[mrand.IntN(len(sorts))], sh.someCurrency(), 12*(1+mrand.IntN(2))
	after := ""
	for page := mrand.IntN(3); ; page-- {
		var l listing
		if err := sh.c.call(ctx, opBrowse, browseVars(first, after, filter, sortBy, currency), "", &l); err != nil {
			return err
		}
		for _, e := range l.Products.Edges {
			sh.catalog.seen(e.Node)
		}
		if page <= 0 || !l.Products.PageInfo.HasNextPage {
			return nil
		}
		after = l.Products.PageInfo.EndCursor
	}
}

// search: full text, then (half the time) the first hit's page.
func (sh *shop) search(ctx context.Context) error {
	var l listing
	if err := sh.c.call(ctx, opSearch, searchVars(10, sh.catalog.term(), mrand.IntN(4) == 0, sh.currency), "", &l); err != nil {
		return err
	}
	if len(l.Products.Edges) == 0 {
		sh.c.stats.outcome("SearchProducts no hits")
		return nil
	}
	if mrand.IntN(2) == 0 {
		return sh.showProduct(ctx, l.Products.Edges[0].Node, false)
	}
	return nil
}

// productPage: a product by id, or by SKU now and then.
func (sh *shop) productPage(ctx context.Context) error {
	p, ok := sh.catalog.pick(false)
	if !ok {
		return nil
	}
	return sh.showProduct(ctx, p, mrand.IntN(5) == 0)
}

func (sh *shop) showProduct(ctx context.Context, p product, bySKU bool) error {
	sku := ""
	if bySKU {
		sku = p.SKU
	}
	var out struct{ Product *product }
	if err := sh.c.call(ctx, opProduct, productVars(p.ID, sku, sh.someCurrency()), "", &out); err != nil {
		return err
	}
	if out.Product == nil {
		sh.c.stats.outcome("ProductPage gone")
		return nil
	}
	sh.catalog.setAvailable(out.Product.ID, out.Product.AvailableQuantity)
	return nil
}
