package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// scenario is one thing a shopper (or the admin) does: a few requests in a row.
type scenario struct {
	Name   string
	Weight int
	Run    func(sh *shop, ctx context.Context) error
}

// scenarios is the default mix, by weight: mostly looking, some buying.
var scenarios = []scenario{
	{"browse", 25, (*shop).browse},
	{"search", 15, (*shop).search},
	{"product", 20, (*shop).productPage},
	{"register", 3, (*shop).register},
	{"signin", 5, (*shop).signIn},
	{"account", 3, (*shop).account},
	{"cart", 12, (*shop).cart},
	{"checkout", 12, (*shop).checkout},
	{"orders", 4, (*shop).orders},
	{"cancel", 3, (*shop).cancel},
	{"restock", 2, (*shop).restock},
	{"fulfil", 3, (*shop).fulfil},
	{"catalog", 1, (*shop).catalogWork},
	{"staff", 1, (*shop).staff},
	{"mistakes", 1, (*shop).mistake},
}

// defaultMix is the default weights, for -help.
func defaultMix() string {
	parts := make([]string, len(scenarios))
	for i, s := range scenarios {
		parts[i] = fmt.Sprintf("%s=%d", s.Name, s.Weight)
	}
	return strings.Join(parts, " ")
}

// has reports whether the mix runs the scenario.
func (m mix) has(name string) bool {
	return slices.ContainsFunc(m, func(s scenario) bool { return s.Name == name })
}

// mix picks scenarios by weight.
type mix []scenario

func (m mix) pick() scenario {
	total := 0
	for _, s := range m {
		total += s.Weight
	}
	n := mrand.IntN(total)
	for _, s := range m {
		if n < s.Weight {
			return s
		}
		n -= s.Weight
	}
	return m[len(m)-1]
}

// parseMix applies "name=weight,..." to the default mix (0 leaves one out).
func parseMix(spec string) (mix, error) {
	m := slices.Clone(scenarios)
	if spec == "" {
		return m, nil
	}
	for _, part := range strings.Split(spec, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		var weight int
		if _, err := fmt.Sscanf(w, "%d", &weight); !ok || err != nil || weight < 0 {
			return nil, fmt.Errorf("-mix: %q is not name=weight", part)
		}
		i := slices.IndexFunc(m, func(s scenario) bool { return s.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("-mix: no scenario %q (there are %s)", name, scenarioNames())
		}
		m[i].Weight = weight
	}
	m = slices.DeleteFunc(m, func(s scenario) bool { return s.Weight == 0 })
	if len(m) == 0 {
		return nil, errors.New("-mix leaves no scenario")
	}
	return m, nil
}

func scenarioNames() string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// ------------------------------------------------------------ response shapes

type listing struct {
	Products struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Edges []struct{ Node product }
	}
}

type category struct {
	ID       string
	Children []category
}

type authPayload struct {
	AccessToken  string
	RefreshToken string
	User         *struct{ ID string }
	UserErrors   []userError
}

// cartPayload is what the shoppers read of a cart mutation's answer.
type cartPayload struct {
	UserErrors []userError
}

type order struct {
	ID, Status, PaymentStatus string
}

type orderPayload struct {
	Order      *order
	UserErrors []userError
}

// ------------------------------------------------------------ variables

// The variables of each operation, built in one place (operations_test.go
// validates them against the documents).

func browseVars(first int, after string, filter map[string]any, sort, currency string) map[string]any {
	v := map[string]any{"first": first, "currency": currency, "sort": sort}
	if after != "" {
		v["after"] = after
	}
	if len(filter) > 0 {
		v["filter"] = filter
	}
	return v
}

func searchVars(first int, query string, inStock bool, currency string) map[string]any {
	filter := map[string]any{"query": query}
	if inStock {
		filter["inStock"] = true
	}
	return map[string]any{"first": first, "filter": filter, "currency": currency}
}

func productVars(id, sku, currency string) map[string]any {
	if sku != "" {
		return map[string]any{"sku": sku, "currency": currency}
	}
	return map[string]any{"id": id, "currency": currency}
}

func registerVars(email, password, name string) map[string]any {
	return map[string]any{"input": map[string]any{"email": email, "password": password, "name": name}}
}

func loginVars(email, password string) map[string]any {
	return map[string]any{"input": map[string]any{"email": email, "password": password}}
}

func cartVars(currency string) map[string]any { return map[string]any{"currency": currency} }

func addToCartVars(productID string, quantity int, currency string) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "quantity": quantity, "currency": currency}}
}

func updateCartLineVars(productID string, quantity int) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "quantity": quantity}}
}

func removeFromCartVars(productID string) map[string]any {
	return map[string]any{"productId": productID}
}

// The mock gateway's test cards: the first succeeds, the others fail (two
// declines, and a processor error: the gateway answers 500).
const (
	cardOK         = "tok_visa"
	cardDeclined   = "tok_chargeDeclined"
	cardNoFunds    = "tok_insufficientFunds"
	cardProcessing = "tok_processingError"
)

func checkoutVars(idempotencyKey, paymentToken, currency string) map[string]any {
	return map[string]any{"input": map[string]any{
		"idempotencyKey": idempotencyKey,
		"paymentToken":   paymentToken,
		"currency":       currency,
		"shippingAddress": map[string]any{
			"fullName": "Load Generator", "line1": "Main St 1", "city": "Berlin",
			"postalCode": "10115", "country": "DE",
		},
	}}
}

func orderVars(id string) map[string]any { return map[string]any{"id": id} }

func myOrdersVars(first int) map[string]any { return map[string]any{"first": first} }

func cancelVars(id, reason string) map[string]any {
	return map[string]any{"id": id, "reason": reason}
}

func stockLevelsVars(first int, after string) map[string]any {
	v := map[string]any{"first": first}
	if after != "" {
		v["after"] = after
	}
	return v
}

func restockVars(productID string, delta int, reason string) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "delta": delta, "reason": reason}}
}

func updateProfileVars(name, phone string) map[string]any {
	return map[string]any{"input": map[string]any{"name": name, "phone": phone}}
}

func addressInput(label, fullName, line1, city, postalCode, country string) map[string]any {
	return map[string]any{"label": label, "fullName": fullName, "line1": line1, "city": city, "postalCode": postalCode, "country": country}
}

func addAddressVars(input map[string]any) map[string]any { return map[string]any{"input": input} }

func updateAddressVars(id string, input map[string]any) map[string]any {
	return map[string]any{"id": id, "input": input}
}

func addressIDVars(id string) map[string]any { return map[string]any{"id": id} }

func refreshTokenVars(token string) map[string]any { return map[string]any{"token": token} }

func changePasswordVars(current, next string) map[string]any {
	return map[string]any{"input": map[string]any{"currentPassword": current, "newPassword": next}}
}

func logoutVars(refreshToken string) map[string]any {
	return map[string]any{"refreshToken": refreshToken}
}

func categoryPageVars(id string, first int, sort, currency string) map[string]any {
	return map[string]any{"id": id, "first": first, "sort": sort, "currency": currency}
}

func ordersToFulfilVars(first int, status string) map[string]any {
	return map[string]any{"first": first, "status": status}
}

func markShippedVars(id, trackingNumber string) map[string]any {
	return map[string]any{"id": id, "trackingNumber": trackingNumber}
}

func createCategoryVars(parentID, slug, name string) map[string]any {
	in := map[string]any{"slug": slug, "name": name, "description": "Products the load generator made"}
	if parentID != "" {
		in["parentId"] = parentID
	}
	return map[string]any{"input": in}
}

func createProductVars(sku, name, categoryID string, eurCents, stock int) map[string]any {
	in := map[string]any{
		"sku": sku, "name": name, "description": "Made by the load generator's admin.",
		"prices":       []any{map[string]any{"amount": eurCents, "currency": "EUR"}, map[string]any{"amount": eurCents + eurCents/10, "currency": "USD"}},
		"initialStock": stock,
		"attributes":   []any{map[string]any{"name": "origin", "value": "loadgen"}},
	}
	if categoryID != "" {
		in["categoryId"] = categoryID
	}
	return map[string]any{"input": in}
}

func updateProductVars(id, description string) map[string]any {
	return map[string]any{"input": map[string]any{"id": id, "description": description}}
}

func setPriceVars(productID string, amount int, currency string) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "price": map[string]any{"amount": amount, "currency": currency}}}
}

func priceHistoryVars(id string, first int) map[string]any {
	return map[string]any{"id": id, "first": first}
}

func productIDVars(id string) map[string]any { return map[string]any{"id": id} }

func userVars(id string) map[string]any { return map[string]any{"id": id} }

func roleVars(userID, role string) map[string]any {
	return map[string]any{"userId": userID, "role": role}
}

// ------------------------------------------------------------ scenarios

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

// register: a new customer, who then looks at their profile.
func (sh *shop) register(ctx context.Context) error {
	a, err := sh.newAccount(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	return sh.c.call(ctx, opMe, nil, a.token, nil)
}

// signIn: a returning customer signs in and looks at their profile.
func (sh *shop) signIn(ctx context.Context) error {
	a := sh.accounts.take()
	if a == nil {
		var err error
		if a, err = sh.newAccount(ctx); err != nil {
			return err
		}
	}
	defer sh.accounts.put(a)
	if err := sh.login(ctx, a); err != nil {
		return err
	}
	return sh.c.call(ctx, opMe, nil, a.token, nil)
}

// addToCart puts n products that are in stock (as far as the shopper knows)
// into the cart; a product sold out since is an outcome, not an error. It
// returns the products added.
func (sh *shop) addToCart(ctx context.Context, a *account, n int) ([]string, error) {
	var added []string
	for range n {
		p, ok := sh.catalog.pick(true)
		if !ok || slices.Contains(added, p.ID) {
			continue
		}
		var out struct{ AddToCart cartPayload }
		if err := sh.c.call(ctx, opAddToCart, addToCartVars(p.ID, 1+mrand.IntN(2), sh.currency), a.token, &out); err != nil {
			return added, err
		}
		c, err := sh.c.checkUserErrors(opAddToCart, out.AddToCart.UserErrors, "INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE")
		if err != nil {
			return added, err
		}
		if c == "INSUFFICIENT_STOCK" {
			sh.catalog.setAvailable(p.ID, 0)
			continue
		}
		if c == "" {
			added = append(added, p.ID)
		}
	}
	return added, nil
}

// cart: add two products, change a quantity, remove one, look at the cart
// (and leave: carts are abandoned too).
func (sh *shop) cart(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	added, err := sh.addToCart(ctx, a, 2)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		var out struct{ UpdateCartLine cartPayload }
		if err := sh.c.call(ctx, opUpdateCartLine, updateCartLineVars(added[0], 1+mrand.IntN(3)), a.token, &out); err != nil {
			return err
		}
		if _, err := sh.c.checkUserErrors(opUpdateCartLine, out.UpdateCartLine.UserErrors, "INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE"); err != nil {
			return err
		}
	}
	if len(added) > 1 && mrand.IntN(4) == 0 {
		// Start over: empty the cart.
		var out struct{ ClearCart cartPayload }
		if err := sh.c.call(ctx, opClearCart, nil, a.token, &out); err != nil {
			return err
		}
		if _, err := sh.c.checkUserErrors(opClearCart, out.ClearCart.UserErrors); err != nil {
			return err
		}
	} else if len(added) > 1 {
		var out struct{ RemoveFromCart cartPayload }
		if err := sh.c.call(ctx, opRemoveFromCart, removeFromCartVars(added[1]), a.token, &out); err != nil {
			return err
		}
		if _, err := sh.c.checkUserErrors(opRemoveFromCart, out.RemoveFromCart.UserErrors); err != nil {
			return err
		}
	}
	return sh.c.call(ctx, opCart, cartVars(sh.currency), a.token, nil)
}

// card is the payment token of a checkout: mostly one that works, 8%
// declined, 6% without funds, and one checkout in 50 (the 5th, the 55th,
// ...: even a short run has one) a processor error (the gateway answers 500).
func (sh *shop) card() string {
	if sh.turns.checkout.Add(1)%50 == 5 {
		return cardProcessing
	}
	switch n := mrand.IntN(100); {
	case n < 8:
		return cardDeclined
	case n < 14:
		return cardNoFunds
	default:
		return cardOK
	}
}

// checkout: review the cart (keeping at most three lines), add a product or
// two, pay with a card from the mix, wait for the order to settle.
func (sh *shop) checkout(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	_, err = sh.buy(ctx, a, sh.card())
	return err
}

// buy checks out a's cart (after trimming and filling it) with the card and
// returns the order once it is no longer being paid (nil if none was made).
func (sh *shop) buy(ctx context.Context, a *account, card string) (*order, error) {
	var view struct {
		Cart *struct {
			Lines []struct{ Product struct{ ID string } }
		}
	}
	if err := sh.c.call(ctx, opCart, cartVars(sh.currency), a.token, &view); err != nil {
		return nil, err
	}
	if view.Cart != nil {
		for _, l := range view.Cart.Lines[min(3, len(view.Cart.Lines)):] {
			var out struct{ RemoveFromCart cartPayload }
			if err := sh.c.call(ctx, opRemoveFromCart, removeFromCartVars(l.Product.ID), a.token, &out); err != nil {
				return nil, err
			}
		}
	}
	added, err := sh.addToCart(ctx, a, 1+mrand.IntN(2))
	if err != nil {
		return nil, err
	}
	if len(added) == 0 && (view.Cart == nil || len(view.Cart.Lines) == 0) {
		sh.c.stats.outcome("Checkout skipped: nothing in stock")
		return nil, nil
	}
	var out struct{ Checkout orderPayload }
	if err := sh.c.call(ctx, opCheckout, checkoutVars(newKey(), card, sh.currency), a.token, &out); err != nil {
		return nil, err
	}
	expected := []string{"INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE"}
	if card != cardOK {
		expected = append(expected, "PAYMENT_DECLINED")
	}
	if _, err := sh.c.checkUserErrors(opCheckout, out.Checkout.UserErrors, expected...); err != nil {
		return nil, err
	}
	o := out.Checkout.Order
	if o == nil {
		err := errors.New("checkout answered no order and no userError")
		sh.c.stats.fail(opCheckout.Name, err)
		return nil, err
	}
	// Checkout answers after ORDER_CHECKOUT_WAIT even if the saga still runs.
	for deadline := time.Now().Add(20 * time.Second); (o.Status == "PENDING" || o.Status == "AWAITING_PAYMENT") && time.Now().Before(deadline) && !sh.stopping.Load(); {
		time.Sleep(500 * time.Millisecond)
		var st struct{ Order *order }
		if err := sh.c.call(ctx, opOrderStatus, orderVars(o.ID), a.token, &st); err != nil {
			return nil, err
		}
		if st.Order != nil {
			o = st.Order
		}
	}
	sh.c.stats.outcome(fmt.Sprintf("Checkout %s %s", card, o.Status))
	if o.Status == "PAID" && card != cardOK || o.Status == "PAYMENT_FAILED" && card == cardOK {
		err := fmt.Errorf("checkout with %s ended %s (payment %s)", card, o.Status, o.PaymentStatus)
		sh.c.stats.fail(opCheckout.Name, err)
		return o, err
	}
	return o, nil
}

// cancel: a customer cancels a paid order (buying one first if they have
// none); the payment is refunded.
func (sh *shop) cancel(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	mine, err := sh.myOrders(ctx, a)
	if err != nil {
		return err
	}
	var target *order
	for i := range mine {
		if mine[i].Status == "PAID" {
			target = &mine[i]
			break
		}
	}
	if target == nil {
		if target, err = sh.buy(ctx, a, cardOK); err != nil || target == nil || target.Status != "PAID" {
			return err
		}
	}
	var out struct{ CancelOrder orderPayload }
	if err := sh.c.call(ctx, opCancelOrder, cancelVars(target.ID, "changed my mind (loadgen)"), a.token, &out); err != nil {
		return err
	}
	if c, err := sh.c.checkUserErrors(opCancelOrder, out.CancelOrder.UserErrors, "CONFLICT"); err != nil || c != "" {
		return err
	}
	if out.CancelOrder.Order != nil {
		sh.c.stats.outcome("CancelOrder " + out.CancelOrder.Order.Status)
	}
	return nil
}

// restock: the admin looks at the stock levels and tops up the three
// products with the fewest units available (to 100) when under 50.
func (sh *shop) restock(ctx context.Context) error {
	token, err := sh.adminToken(ctx)
	if err != nil {
		return err
	}
	type level struct {
		ID    string
		Stock *struct{ Available int }
	}
	var levels []level
	after := ""
	for {
		var out struct {
			Products struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node level }
			}
		}
		if err := sh.c.call(ctx, opStockLevels, stockLevelsVars(100, after), token, &out); err != nil {
			return err
		}
		for _, e := range out.Products.Edges {
			if e.Node.Stock != nil {
				levels = append(levels, e.Node)
			}
		}
		if !out.Products.PageInfo.HasNextPage {
			break
		}
		after = out.Products.PageInfo.EndCursor
	}
	sort.Slice(levels, func(i, j int) bool { return levels[i].Stock.Available < levels[j].Stock.Available })
	topped := 0
	for _, l := range levels[:min(3, len(levels))] {
		if l.Stock.Available >= 50 {
			break
		}
		var out struct {
			AdjustStock struct {
				Product *struct {
					ID    string
					Stock *struct{ Available int }
				}
				UserErrors []userError
			}
		}
		if err := sh.c.call(ctx, opRestock, restockVars(l.ID, 100-l.Stock.Available, "delivery (loadgen restock)"), token, &out); err != nil {
			return err
		}
		if _, err := sh.c.checkUserErrors(opRestock, out.AdjustStock.UserErrors); err != nil {
			return err
		}
		if p := out.AdjustStock.Product; p != nil && p.Stock != nil {
			sh.catalog.setAvailable(p.ID, p.Stock.Available)
		}
		topped++
	}
	if topped == 0 {
		sh.c.stats.outcome("Restock nothing low")
	}
	return nil
}

// newKey is a fresh checkout idempotency key.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "loadgen-" + hex.EncodeToString(b)
}
