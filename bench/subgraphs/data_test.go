package subgraphs

import (
	"slices"
	"testing"
)

func ids(rvs []Review) []string {
	var out []string
	for _, r := range rvs {
		out = append(out, r.ID)
	}
	return out
}

// The lookups answer what a scan of the benchmark's data does, in its
// order, before and after Generate; Generate adds products with two reviews
// each, by users who each wrote two.
func TestLookupsAndGeneratedData(t *testing.T) {
	check := func() {
		t.Helper()
		if got := ids(ReviewsOfProduct("1")); !slices.Equal(got, []string{"1", "4"}) {
			t.Errorf("reviews of product 1: %v", got)
		}
		if got := ids(ReviewsBy("2")); !slices.Equal(got, []string{"3", "4"}) {
			t.Errorf("reviews by user 2: %v", got)
		}
		if u, ok := UserByID("2"); !ok || u.Name != "Alan Turing" {
			t.Errorf("user 2: %v %v", u, ok)
		}
		if _, ok := ProductByUPC("99"); ok == (len(Products) < 99) {
			t.Errorf("product 99 found: %v with %d products", ok, len(Products))
		}
	}
	check()
	Generate(100)
	check()
	if len(Products) != 103 || len(Users) != 102 || len(Reviews) != 204 {
		t.Fatalf("%d products, %d users, %d reviews", len(Products), len(Users), len(Reviews))
	}
	for _, p := range Products[3:] {
		if n := len(ReviewsOfProduct(p.UPC)); n != 2 {
			t.Errorf("product %s has %d reviews", p.UPC, n)
		}
	}
	for _, u := range Users[2:] {
		if n := len(ReviewsBy(u.ID)); n != 2 {
			t.Errorf("user %s wrote %d reviews", u.ID, n)
		}
	}
	if r, ok := ReviewByID("204"); !ok || r.ProductUPC != "103" {
		t.Errorf("review 204: %+v %v", r, ok)
	}
}
