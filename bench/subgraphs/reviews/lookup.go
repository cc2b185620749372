package reviews

import (
	"github.com/virtual-store/virtual-store/bench/subgraphs"
	"github.com/virtual-store/virtual-store/bench/subgraphs/reviews/generated"
)

func review(rv subgraphs.Review) *generated.Review {
	out := &generated.Review{ID: rv.ID, Body: &rv.Body, Product: &generated.Product{Upc: rv.ProductUPC}}
	if u, ok := subgraphs.UserByID(rv.AuthorID); ok {
		out.Author = &generated.User{ID: u.ID, Username: &u.Username}
	}
	return out
}

// reviewList is the reviews as the schema answers them: null for none.
func reviewList(rvs []subgraphs.Review) []*generated.Review {
	var out []*generated.Review
	for _, rv := range rvs {
		out = append(out, review(rv))
	}
	return out
}
