// Package subgraphs holds the four subgraphs of the public GraphQL gateway
// benchmark (accounts, inventory, products, reviews: the classic federation
// demo), served by cmd/benchsubgraphs so that routers can be measured on the
// workload the field measures them on. Data is fixed and in memory: the
// subgraphs must cost next to nothing, so the figures are the router's.
package subgraphs

import "strconv"

// User is an account.
type User struct{ ID, Name, Username string }

// Product is a catalog item.
type Product struct {
	UPC, Name     string
	Price, Weight int
	InStock       bool
}

// Review is a user's review of a product.
type Review struct{ ID, Body, AuthorID, ProductUPC string }

// The benchmark's data.
var (
	Users = []User{
		{ID: "1", Name: "Ada Lovelace", Username: "@ada"},
		{ID: "2", Name: "Alan Turing", Username: "@complete"},
	}
	Products = []Product{
		{UPC: "1", Name: "Table", Price: 899, Weight: 100, InStock: true},
		{UPC: "2", Name: "Couch", Price: 1299, Weight: 1000},
		{UPC: "3", Name: "Chair", Price: 54, Weight: 50, InStock: true},
	}
	Reviews = []Review{
		{ID: "1", Body: "Love it!", AuthorID: "1", ProductUPC: "1"},
		{ID: "2", Body: "Too expensive.", AuthorID: "1", ProductUPC: "2"},
		{ID: "3", Body: "Could be better.", AuthorID: "2", ProductUPC: "3"},
		{ID: "4", Body: "Prefer something else.", AuthorID: "2", ProductUPC: "1"},
	}
)

// Lookups by key, in the order of the slices above (built by index).
var (
	userByID         map[string]int
	productByUPC     map[string]int
	reviewByID       map[string]int
	reviewsOfProduct map[string][]int
	reviewsByAuthor  map[string][]int
)

func init() { index() }

// Generate appends n products to the data, each with two reviews by
// generated users who each wrote two, all derived from the position alone,
// so that answers can be scaled (scripts/bench-curves.sh): the benchmark
// query's topProducts part answers about 0.8 KB more per product with
// topProducts(first: N), and topProducts(first: N) { inStock } sends N
// representations to inventory. It changes the benchmark query's own answer
// (topProducts returns its default five, users every user), so the
// benchmark runs without it. Call it before serving.
func Generate(n int) {
	p0, u0, r0 := len(Products), len(Users), len(Reviews)
	bodies := []string{"Love it!", "Too expensive.", "Could be better.", "Prefer something else.", "Does the job."}
	for i := range n {
		upc, id := strconv.Itoa(p0+i+1), strconv.Itoa(u0+i+1)
		Products = append(Products, Product{UPC: upc, Name: "Product " + upc, Price: 50 + i*37%1950, Weight: 10 + i*13%990, InStock: i%3 != 0})
		Users = append(Users, User{ID: id, Name: "User " + id, Username: "@user" + id})
	}
	for i := range n {
		for k := range 2 {
			Reviews = append(Reviews, Review{
				ID:         strconv.Itoa(r0 + 2*i + k + 1),
				Body:       bodies[(i+k)%len(bodies)],
				AuthorID:   Users[u0+(i+k)%n].ID,
				ProductUPC: Products[p0+i].UPC,
			})
		}
	}
	index()
}

func index() {
	userByID = make(map[string]int, len(Users))
	for i, u := range Users {
		userByID[u.ID] = i
	}
	productByUPC = make(map[string]int, len(Products))
	for i, p := range Products {
		productByUPC[p.UPC] = i
	}
	reviewByID = make(map[string]int, len(Reviews))
	reviewsOfProduct, reviewsByAuthor = map[string][]int{}, map[string][]int{}
	for i, r := range Reviews {
		reviewByID[r.ID] = i
		reviewsOfProduct[r.ProductUPC] = append(reviewsOfProduct[r.ProductUPC], i)
		reviewsByAuthor[r.AuthorID] = append(reviewsByAuthor[r.AuthorID], i)
	}
}

// UserByID is the user with that id.
func UserByID(id string) (User, bool) { return at(Users, userByID, id) }

// ProductByUPC is the product with that UPC.
func ProductByUPC(upc string) (Product, bool) { return at(Products, productByUPC, upc) }

// ReviewByID is the review with that id.
func ReviewByID(id string) (Review, bool) { return at(Reviews, reviewByID, id) }

// ReviewsOfProduct is the product's reviews, in the order of Reviews.
func ReviewsOfProduct(upc string) []Review { return all(reviewsOfProduct[upc]) }

// ReviewsBy is the reviews the user wrote, in the order of Reviews.
func ReviewsBy(authorID string) []Review { return all(reviewsByAuthor[authorID]) }

func at[T any](list []T, index map[string]int, key string) (T, bool) {
	i, ok := index[key]
	if !ok {
		var zero T
		return zero, false
	}
	return list[i], true
}

func all(indexes []int) []Review {
	out := make([]Review, len(indexes))
	for j, i := range indexes {
		out[j] = Reviews[i]
	}
	return out
}
