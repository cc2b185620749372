package reviews

import (
	"github.com/virtual-store/virtual-store/bench/subgraphs"
	"github.com/virtual-store/virtual-store/bench/subgraphs/reviews/generated"
)

func review(rv subgraphs.Review) *generated.Review {
	out := &generated.Review{ID: rv.ID, Body: &rv.Body, Product: &generated.Product{Upc: rv.ProductUPC}}
	for _, u := range subgraphs.Users {
		if u.ID == rv.AuthorID {
			out.Author = &generated.User{ID: u.ID, Username: &u.Username}
		}
	}
	return out
}

func reviewsWhere(keep func(subgraphs.Review) bool) []*generated.Review {
	var out []*generated.Review
	for _, rv := range subgraphs.Reviews {
		if keep(rv) {
			out = append(out, review(rv))
		}
	}
	return out
}
