package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/schema"
)

// apiSchema is the public schema the router serves with `make run`: the
// subgraphs' schemas from the repository (shared types included, as their
// `_service { sdl }` serves them), composed and stripped of the federation
// machinery.
func apiSchema(t *testing.T) *ast.Schema {
	t.Helper()
	root := filepath.Join("..", "..")
	shared, err := os.ReadFile(filepath.Join(root, "graph", "schema", "shared.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	var subgraphs []compose.Subgraph
	for _, name := range []string{"user", "product", "order"} {
		sdl, err := os.ReadFile(filepath.Join(root, "subgraphs", name, "schema.graphqls"))
		if err != nil {
			t.Fatal(err)
		}
		subgraphs = append(subgraphs, compose.Subgraph{Name: name, URL: "http://" + name + "/graphql", SDL: string(shared) + "\n" + string(sdl)})
	}
	supergraph, err := compose.Compose(subgraphs)
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	_, api, err := schema.Load(supergraph)
	if err != nil {
		t.Fatal(err)
	}
	return api.Schema
}

// Every document the shoppers send is valid against the store's schema,
// with one operation of the name the router's metrics will show.
func TestOperationsAreValidAgainstTheSupergraph(t *testing.T) {
	s := apiSchema(t)
	names := map[string]bool{}
	for _, op := range operations {
		if names[op.Name] {
			t.Errorf("two operations named %s", op.Name)
		}
		names[op.Name] = true
		doc, errs := gqlparser.LoadQuery(s, op.Doc)
		if len(errs) > 0 {
			t.Errorf("%s: %v", op.Name, errs)
			continue
		}
		if len(doc.Operations) != 1 || doc.Operations[0].Name != op.Name {
			t.Errorf("%s: want one operation named %s, got %d", op.Name, op.Name, len(doc.Operations))
		}
	}
}

// The variables the scenarios build for each operation are accepted by it:
// every required variable given, every value of its type (through JSON, as
// the router reads them).
func TestScenarioVariablesMatchTheOperations(t *testing.T) {
	s := apiSchema(t)
	cases := []struct {
		op   operation
		vars map[string]any
	}{
		{opCategories, nil},
		{opBrowse, browseVars(12, "", nil, "NAME", "EUR")},
		{opBrowse, browseVars(24, "b3BhcXVl", map[string]any{"categoryId": "c1", "inStock": true, "minPrice": 500, "maxPrice": 6000}, "PRICE_DESC", "USD")},
		{opSearch, searchVars(10, "wireless -headphones", false, "EUR")},
		{opSearch, searchVars(10, "kettle", true, "EUR")},
		{opProduct, productVars("p1", "", "EUR")},
		{opProduct, productVars("p1", "SKU-1", "USD")},
		{opRegister, registerVars("a@example.com", "a long password", "A")},
		{opLogin, loginVars("a@example.com", "a long password")},
		{opMe, nil},
		{opCart, cartVars("EUR")},
		{opAddToCart, addToCartVars("p1", 2, "EUR")},
		{opUpdateCartLine, updateCartLineVars("p1", 3)},
		{opRemoveFromCart, removeFromCartVars("p1")},
		{opCheckout, checkoutVars(newKey(), cardOK, "EUR")},
		{opOrderStatus, orderVars("o1")},
		{opMyOrders, myOrdersVars(10)},
		{opCancelOrder, cancelVars("o1", "changed my mind")},
		{opStockLevels, stockLevelsVars(100, "")},
		{opStockLevels, stockLevelsVars(100, "b3BhcXVl")},
		{opRestock, restockVars("p1", 40, "delivery")},
		{opAccount, nil},
		{opUpdateProfile, updateProfileVars("A", "+49 30 1234 5678")},
		{opAddAddress, addAddressVars(addressInput("Home", "A", "Main St 1", "Berlin", "10115", "DE"))},
		{opUpdateAddress, updateAddressVars("a1", addressInput("Home", "A", "Main St 2", "Berlin", "10115", "DE"))},
		{opSetDefaultAddress, addressIDVars("a1")},
		{opRemoveAddress, addressIDVars("a1")},
		{opRefreshToken, refreshTokenVars("r1")},
		{opChangePassword, changePasswordVars("a long password", "another long password")},
		{opLogout, logoutVars("r1")},
		{opClearCart, nil},
		{opCategoryPage, categoryPageVars("c1", 12, "NEWEST", "EUR")},
		{opOrderDetails, orderVars("o1")},
		{opWatchOrder, orderVars("o1")},
		{opOrdersToFulfil, ordersToFulfilVars(10, "PAID")},
		{opStartFulfillment, orderVars("o1")},
		{opMarkShipped, markShippedVars("o1", "LG0000000001")},
		{opMarkDelivered, orderVars("o1")},
		{opCreateCategory, createCategoryVars("", loadgenSlug, "Load generator")},
		{opCreateCategory, createCategoryVars("c1", "sub", "Sub")},
		{opCreateProduct, createProductVars("SKU-1", "A", "c1", 1999, 20)},
		{opCreateProduct, createProductVars("SKU-1", "A", "", 1999, 20)},
		{opUpdateProduct, updateProductVars("p1", "better")},
		{opSetPrice, setPriceVars("p1", 2099, "EUR")},
		{opPriceHistory, priceHistoryVars("p1", 5)},
		{opArchiveProduct, productIDVars("p1")},
		{opRestoreProduct, productIDVars("p1")},
		{opUser, userVars("u1")},
		{opGrantRole, roleVars("u1", "ADMIN")},
		{opRevokeRole, roleVars("u1", "ADMIN")},
		{opStaleSession, nil},
		{opBrokenOrderLink, orderVars("nope")},
		{opTooDeep, nil},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.op.Name] = true
		doc, errs := gqlparser.LoadQuery(s, c.op.Doc)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.op.Name, errs)
		}
		// As the router reads them: JSON, numbers as json.Number.
		raw, err := json.Marshal(c.vars)
		if err != nil {
			t.Fatal(err)
		}
		var vars map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&vars); err != nil {
			t.Fatal(err)
		}
		if _, err := validator.VariableValues(s, doc.Operations[0], vars); err != nil {
			t.Errorf("%s with %s: %v", c.op.Name, raw, err)
		}
	}
	for _, op := range operations {
		if !covered[op.Name] {
			t.Errorf("no variables checked for %s", op.Name)
		}
	}
}

// -mix changes weights and leaves scenarios out; mistakes are refused.
func TestParseMix(t *testing.T) {
	m, err := parseMix("checkout=30, restock=0")
	if err != nil {
		t.Fatal(err)
	}
	weights := map[string]int{}
	for _, s := range m {
		weights[s.Name] = s.Weight
	}
	if weights["checkout"] != 30 || weights["browse"] != 25 || len(m) != len(scenarios)-1 {
		t.Errorf("mix: %v", weights)
	}
	if _, ok := weights["restock"]; ok {
		t.Error("restock=0 is still in the mix")
	}
	var others, all []string
	for _, s := range scenarios {
		all = append(all, s.Name+"=0")
		if s.Name != "checkout" {
			others = append(others, s.Name+"=0")
		}
	}
	only, err := parseMix(strings.Join(others, ","))
	if err != nil || len(only) != 1 || only.pick().Name != "checkout" || !only.has("checkout") || only.has("browse") {
		t.Errorf("only checkout: %v %v", only, err)
	}
	star, err := parseMix("*=0, checkout=2, restock=1")
	if err != nil || len(star) != 2 || !star.has("checkout") || !star.has("restock") || star[0].Weight+star[1].Weight != 3 {
		t.Errorf("*=0,checkout=2,restock=1: %v %v", star, err)
	}
	for _, bad := range []string{"browse", "browse=x", "browse=-1", "nothing=3", strings.Join(all, ","), "*=0"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("-mix %q accepted", bad)
		}
	}
}
