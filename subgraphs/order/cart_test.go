package order_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

func TestCartThroughGraphQL(t *testing.T) {
	_, ann := customer()
	mug := newProduct(t, 5, eur(1250), usd(1400))
	poster := newProduct(t, 1, eur(900)) // sold in EUR only

	// Nobody signed in: no cart, and no writing to one.
	wantCodes(t, "anonymous cart", router.Do(t, `{ cart { itemCount } }`, nil), "UNAUTHENTICATED")
	wantCodes(t, "anonymous addToCart", router.Do(t, addToCart, map[string]any{"p": mug}), "UNAUTHENTICATED")

	r := ann.Do(t, addToCart, map[string]any{"p": mug, "q": 2})
	wantNoErrors(t, "add", r)
	if r.Dig("addToCart", "cart", "itemCount") != 2.0 || r.Dig("addToCart", "cart", "subtotal", "amount") != 2500.0 ||
		r.Dig("addToCart", "cart", "lines", 0, "lineTotal", "amount") != 2500.0 || r.Dig("addToCart", "cart", "lines", 0, "available") != true {
		t.Fatalf("add 2 mugs: %s", r.Raw)
	}
	// Adding what is there adds to its quantity; stock is not promised.
	r = ann.Do(t, addToCart, map[string]any{"p": mug, "q": 4})
	if r.Dig("addToCart", "cart", "lines", 0, "quantity") != 6.0 || r.Dig("addToCart", "cart", "lines", 0, "available") != false {
		t.Fatalf("add 4 more mugs: %s", r.Raw)
	}
	r = ann.Do(t, addToCart, map[string]any{"p": poster})
	if r.Dig("addToCart", "cart", "itemCount") != 7.0 || r.Dig("addToCart", "cart", "subtotal", "amount") != 6*1250.0+900 {
		t.Fatalf("add a poster: %s", r.Raw)
	}

	// Expected refusals are user errors, with the cart as it is.
	for _, tt := range []struct {
		name string
		vars map[string]any
		code string
	}{
		{"quantity 0", map[string]any{"p": mug, "q": 0}, "INVALID_INPUT"},
		{"unknown product", map[string]any{"p": uuid.NewString()}, "NOT_FOUND"},
		{"not sold in the currency", map[string]any{"p": poster, "c": "USD"}, "PRODUCT_UNAVAILABLE"},
	} {
		r = ann.Do(t, addToCart, tt.vars)
		if got := r.UserErrorCodes("addToCart"); fmt.Sprint(got) != fmt.Sprint([]string{tt.code}) || r.Dig("addToCart", "cart", "itemCount") != 7.0 {
			t.Errorf("%s: user errors %v, cart %v; want [%s] and the cart unchanged", tt.name, got, r.Dig("addToCart", "cart"), tt.code)
		}
	}
	wantCodes(t, "a product id that is no id", ann.Do(t, addToCart, map[string]any{"p": "mug"}), "BAD_USER_INPUT")

	const update = `mutation($p: ID!, $q: Int!) { updateCartLine(input: {productId: $p, quantity: $q}) { cart { itemCount } userErrors { code field } } }`
	r = ann.Do(t, update, map[string]any{"p": mug, "q": 3})
	if r.Dig("updateCartLine", "cart", "itemCount") != 4.0 {
		t.Fatalf("update to 3 mugs: %s", r.Raw)
	}
	r = ann.Do(t, update, map[string]any{"p": uuid.NewString(), "q": 3})
	if got := r.UserErrorCodes("updateCartLine"); fmt.Sprint(got) != "[NOT_FOUND]" {
		t.Errorf("update a product not in the cart: %v", got)
	}
	if got := ann.Do(t, update, map[string]any{"p": mug, "q": 101}).UserErrorCodes("updateCartLine"); fmt.Sprint(got) != "[INVALID_INPUT]" {
		t.Errorf("update to 101: %v", got)
	}

	// The cart in another currency: what is not sold in it has no price.
	const cartIn = `query($c: String) { cart(currency: $c) { currency itemCount subtotal { amount currency } lines { product { id } unitPrice { amount } lineTotal { amount } } } }`
	r = ann.Do(t, cartIn, map[string]any{"c": "USD"})
	wantNoErrors(t, "cart in USD", r)
	if r.Dig("cart", "currency") != "USD" || r.Dig("cart", "subtotal", "amount") != 3*1400.0 || r.Dig("cart", "subtotal", "currency") != "USD" ||
		r.Dig("cart", "lines", 1, "unitPrice") != nil || r.Dig("cart", "lines", 1, "lineTotal") != nil || r.Dig("cart", "itemCount") != 4.0 {
		t.Errorf("cart in USD: %s", r.Raw)
	}
	if r = ann.Do(t, `{ cart { currency subtotal { amount } } }`, nil); r.Dig("cart", "currency") != "EUR" || r.Dig("cart", "subtotal", "amount") != 3*1250.0+900 {
		t.Errorf("cart in the default currency: %s", r.Raw)
	}
	wantCodes(t, "cart in no currency", ann.Do(t, cartIn, map[string]any{"c": "EURO"}), "BAD_USER_INPUT")

	const remove = `mutation($p: ID!) { removeFromCart(productId: $p) { cart { itemCount lines { product { id } } } userErrors { code } } }`
	r = ann.Do(t, remove, map[string]any{"p": mug})
	if r.Dig("removeFromCart", "cart", "itemCount") != 1.0 || r.Dig("removeFromCart", "cart", "lines", 0, "product", "id") != poster {
		t.Fatalf("remove the mugs: %s", r.Raw)
	}
	if got := ann.Do(t, remove, map[string]any{"p": mug}).UserErrorCodes("removeFromCart"); fmt.Sprint(got) != "[NOT_FOUND]" {
		t.Errorf("remove again: %v", got)
	}
	r = ann.Do(t, `mutation { clearCart { cart { itemCount lines { quantity } } userErrors { code } } }`, nil)
	if r.Dig("clearCart", "cart", "itemCount") != 0.0 || len(r.Dig("clearCart", "cart", "lines").([]any)) != 0 {
		t.Errorf("clear: %s", r.Raw)
	}

	// Carts are their customer's.
	_, bob := customer()
	if r = bob.Do(t, `{ cart { itemCount } }`, nil); r.Dig("cart", "itemCount") != 0.0 {
		t.Errorf("another customer's cart: %s", r.Raw)
	}
}

// TestAddToCartPricesThePayloadInItsCurrency: the cart addToCart answers
// with is priced in the mutation's currency, not always in EUR.
func TestAddToCartPricesThePayloadInItsCurrency(t *testing.T) {
	_, ann := customer()
	mug := newProduct(t, 5, eur(1250), usd(1400))

	r := ann.Do(t, addToCart, map[string]any{"p": mug, "q": 2, "c": "USD"})
	wantNoErrors(t, "add in USD", r)
	if r.Dig("addToCart", "cart", "currency") != "USD" || r.Dig("addToCart", "cart", "subtotal", "currency") != "USD" ||
		r.Dig("addToCart", "cart", "subtotal", "amount") != 2800.0 || r.Dig("addToCart", "cart", "lines", 0, "unitPrice", "currency") != "USD" {
		t.Errorf("addToCart(currency: USD) answered with the cart %v, want it priced in USD (2 × 1400)", r.Dig("addToCart", "cart"))
	}
	// Without a currency it is the default one's.
	r = ann.Do(t, addToCart, map[string]any{"p": mug})
	if r.Dig("addToCart", "cart", "currency") != "EUR" || r.Dig("addToCart", "cart", "subtotal", "amount") != 3*1250.0 {
		t.Errorf("addToCart without a currency answered with the cart %v, want it priced in EUR", r.Dig("addToCart", "cart"))
	}
	// A currency that is none is the mutation's user error; the cart is
	// still shown, in the default currency.
	r = ann.Do(t, addToCart, map[string]any{"p": mug, "c": "usd"})
	wantNoErrors(t, "add in no currency", r)
	if got := r.UserErrorCodes("addToCart"); fmt.Sprint(got) != "[INVALID_INPUT]" || r.Dig("addToCart", "userErrors", 0, "field", 1) != "currency" ||
		r.Dig("addToCart", "cart", "currency") != "EUR" || r.Dig("addToCart", "cart", "itemCount") != 3.0 {
		t.Errorf("addToCart(currency: usd): %s", r.Raw)
	}
}
