// Package subgraphs holds the four subgraphs of the public GraphQL gateway
// benchmark (accounts, inventory, products, reviews: the classic federation
// demo), served by cmd/benchsubgraphs so that routers can be measured on the
// workload the field measures them on. Data is fixed and in memory: the
// subgraphs must cost next to nothing, so the figures are the router's.
package subgraphs

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
