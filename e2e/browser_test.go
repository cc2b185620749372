package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"
)

// TestShopperJourneyInABrowser is a shopper's visit in Debian's Chromium,
// through the storefront (cmd/storefront in front of the router, the whole
// store behind it, the demo catalog loaded): search the catalog, open a
// product, register, add it to the cart and pay with tok_visa by keyboard
// alone, watch the order page follow the order live (graphql-ws through the
// storefront's proxy) while an admin ships it through the router's API,
// then a declined card, and last the admin page, signed in by keyboard.
// axe-core checks every page on the way; the layout is checked at a phone's
// 390 px. Screenshots of each step go to BROWSER_ARTIFACTS (default
// e2e/artifacts/TestShopperJourneyInABrowser).
func TestShopperJourneyInABrowser(t *testing.T) {
	if _, err := os.Stat("../web/dist/site/index.html"); err != nil {
		t.Fatal("the storefront is not built (web/dist/site): run `make web` (make test does) before this test")
	}
	b := openTab(t, 1024, 768)
	s := newStorefrontWith(t, extraEnv{product: []string{"PRODUCT_SEED=true"}})
	site := start(t, "storefront", "STOREFRONT_ROUTER_URL="+s.router.url()+"/graphql").url()
	const product, price = "Aurora Wireless Headphones", "€149.99"

	// The catalog, then a search.
	b.do("open the catalog", chromedp.Navigate(site+"/"), chromedp.WaitVisible(heading("Catalog")), catalogShown, imagesShown())
	b.checkAccessibility("the catalog")
	b.shot("catalog", true)
	b.do("search for headphones", fill("Search products", "headphones"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(link(product)), chromedp.WaitVisible(saying("2 products")), imagesShown())
	b.shot("search", false)

	// The product, then register from its "Sign in" link.
	b.do("open the product", chromedp.Click(link(product)), chromedp.WaitVisible(heading(product)), chromedp.WaitVisible(saying(price)), imagesShown())
	productPage := value(b, "the product's page", chromedp.Evaluate[string](`location.pathname`))
	b.checkAccessibility("the product page")
	b.shot("product-signed-out", false)
	b.do("sign in to buy", chromedp.Click(link("Sign in")), chromedp.WaitVisible(heading("Sign in")))
	b.checkAccessibility("sign in")
	b.do("create an account instead", chromedp.Click(link("Create an account")), chromedp.WaitVisible(heading("Create an account")))
	b.checkAccessibility("create an account")

	// Keyboard alone from here to the paid order.
	email := "kim-" + uuid.NewString()[:8] + "@example.com"
	b.tabTo("Name")
	b.typeText("Kim Browser")
	b.tabTo("Email")
	b.typeText(email)
	b.tabTo("Password")
	b.typeText("correct horse battery")
	b.tabTo("Create account")
	b.shot("register", false)
	b.press(" ")
	b.do("registered, back on the product", chromedp.WaitVisible(heading(product)), chromedp.WaitVisible(button("Sign out (Kim Browser)")),
		chromedp.WaitVisible(button("Add to cart")), imagesShown())
	b.checkAccessibility("the product page, signed in")
	b.shot("product", true)
	b.tabTo("Quantity")
	b.tabTo("Add to cart")
	b.press(kb.Enter)
	b.do("added to the cart", chromedp.WaitVisible(status("Added 1 × "+product+" to your cart.")))
	if got := b.focused(); got != "Add to cart" {
		t.Errorf("after adding to the cart the focus is on %q, want it to stay on the button", got)
	}
	b.do("the cart's link says so", chromedp.WaitVisible(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Cart, 1 item"]`)))
	b.tabTo("View cart")
	b.press(kb.Enter)
	b.do("the cart", chromedp.WaitVisible(heading("Your cart")), chromedp.WaitVisible(saying("Subtotal (1 item): "+price)), imagesShown())
	b.checkAccessibility("the cart")
	b.shot("cart", false)
	b.tabTo("Check out")
	b.press(kb.Enter)
	b.do("the checkout", chromedp.WaitVisible(heading("Checkout")), chromedp.WaitVisible(button("Pay "+price)))
	for _, f := range []struct{ label, value string }{{"Address", "Harbour Road 5"}, {"Postal code", "20457"}, {"City", "Hamburg"}, {"Country code", "de"}} {
		b.tabTo(f.label)
		b.typeText(f.value)
	}
	if got := value(b, "the full name", chromedp.Value(field("Full name"))); got != "Kim Browser" {
		t.Errorf("Full name is %q, want the account's name prefilled", got)
	}
	if !value(b, "the card", chromedp.Evaluate[bool](`document.querySelector('input[type=radio]:checked')?.value === 'tok_visa'`)) {
		t.Error("the checked test card is not tok_visa")
	}
	b.checkAccessibility("the checkout")
	b.shot("checkout", true)
	b.tabTo("Pay " + price)
	b.press(kb.Enter)

	// The order page follows the order live while the admin ships it.
	b.do("the order, paid and live", chromedp.WaitVisible(saying("Status: Paid")), chromedp.WaitVisible(saying("Payment: Charged")),
		chromedp.WaitVisible(saying("Status updates live.")), chromedp.WaitVisible(saying("Total: "+price)))
	order := value(b, "the order's page", chromedp.Evaluate[string](`location.pathname`))
	orderID, ok := strings.CutPrefix(order, "/orders/")
	if !ok {
		t.Fatalf("after paying the page is %s, want /orders/<id>", order)
	}
	b.checkAccessibility("the order")
	b.shot("order-paid", false)
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.journeyPage = 'not reloaded'`))
	api := s.router.url()
	admin := s.login(t, e2eAdminEmail, e2eAdminPassword)
	for _, step := range []struct{ field, args, shown, announced string }{
		{"startFulfillment", "id: $id", "Status: Being packed", "The order is now being packed."},
		{"markShipped", `id: $id, trackingNumber: "DHL-BROWSER-1"`, "Status: Shipped", "The order is now shipped."},
	} {
		mutation := "mutation($id: ID!) { " + step.field + "(" + step.args + ") { order { status } userErrors { code message } } }"
		if data, err := gql(api, admin, mutation, map[string]any{"id": orderID}); err != nil || data.Dig(step.field, "order") == nil {
			t.Fatalf("admin %s: %v %v", step.field, data, err)
		}
		b.do("live: "+step.shown, chromedp.WaitVisible(saying(step.shown)), chromedp.WaitVisible(status(step.announced)))
		b.shot("order-"+step.field, false)
	}
	b.do("shipped, with its tracking number", chromedp.WaitVisible(saying("Tracking number: DHL-BROWSER-1")), chromedp.WaitVisible(saying("Status updates live.")))
	if got := value(b, "the page's mark", chromedp.Evaluate[string](`window.journeyPage ?? 'reloaded'`)); got != "not reloaded" {
		t.Errorf("the order page was %s while it followed the order", got)
	}
	b.shot("order-live", true)

	// A declined card: its message next to the card, the cart kept.
	b.do("back to the catalog", chromedp.Click(navLink("Catalog")), chromedp.WaitVisible(heading("Catalog")),
		fill("Search products", "headphones"), chromedp.KeyEvent(kb.Enter), chromedp.Click(link(product)), chromedp.WaitVisible(heading(product)))
	b.do("add it again", chromedp.Click(button("Add to cart")), chromedp.WaitVisible(status("Added 1 × "+product+" to your cart.")))
	b.do("check out again", chromedp.Click(navLink("Cart")), chromedp.WaitVisible(heading("Your cart")), chromedp.Click(link("Check out")),
		chromedp.WaitVisible(heading("Checkout")), chromedp.WaitVisible(button("Pay "+price)))
	for _, f := range []struct{ label, value string }{{"Address", "Harbour Road 5"}, {"Postal code", "20457"}, {"City", "Hamburg"}, {"Country code", "DE"}} {
		b.do("fill "+f.label, fill(f.label, f.value))
	}
	b.do("pay with a declined card", chromedp.Click(labelled("Declined card")), chromedp.Click(button("Pay "+price)),
		chromedp.WaitVisible(alert("Your card was declined.")),
		chromedp.WaitVisible(saying("The order was recorded as not paid and your cart was restored: see the order, or choose another card and pay again.")))
	if got := b.focused(); got != "Pay "+price {
		t.Errorf("after the declined payment the focus is on %q, want it to stay on the Pay button", got)
	}
	b.checkAccessibility("the checkout, card declined")
	b.do("show the message", chromedp.Evaluate[chromedp.Void](`document.querySelector('[role=alert]').closest('fieldset').scrollIntoView({block: 'center'})`))
	b.shot("declined", false)

	// A phone's width: every page of the journey fits, nothing scrolls sideways.
	const phone = 390
	b.do("a phone", chromedp.EmulateViewport(phone, 844, chromedp.EmulateMobile))
	b.fitsWidth("the checkout", phone)
	for _, p := range []struct {
		name, path string
		shows      chromedp.Search
	}{
		{"phone-catalog", "/", heading("Catalog")}, {"phone-product", productPage, button("Add to cart")},
		{"phone-cart", "/cart", link("Check out")}, {"phone-order", order, saying("Status: Shipped")},
	} {
		// A reload: the session comes back from the refresh cookie.
		b.do(p.name, chromedp.Navigate(site+p.path), chromedp.WaitVisible(button("Sign out (Kim Browser)")), chromedp.WaitVisible(p.shows), imagesShown())
		if p.path == "/" {
			b.do("the products", catalogShown, imagesShown())
		}
		b.fitsWidth(p.path, phone)
		b.shot(p.name, p.name == "phone-catalog")
	}

	// The admin page, after signing in by keyboard alone.
	b.do("a desktop again, signed out", chromedp.EmulateViewport(1024, 768), chromedp.Click(button("Sign out (Kim Browser)")),
		chromedp.WaitVisible(heading("Catalog")), chromedp.Click(navLink("Sign in")), chromedp.WaitVisible(heading("Sign in")))
	b.tabTo("Email")
	b.typeText(e2eAdminEmail)
	b.tabTo("Password")
	b.typeText(e2eAdminPassword)
	b.press(kb.Enter)
	b.do("the admin page", chromedp.WaitVisible(button("Sign out")), chromedp.Click(navLink("Admin")), chromedp.WaitVisible(heading("Admin")),
		chromedp.WaitVisible(status("0 orders")), chromedp.WaitVisible(field("Find products")))
	b.do("show the shipped orders", chromedp.Focus(field("Show orders")), chromedp.KeyEvent(kb.ArrowDown+kb.ArrowDown),
		chromedp.WaitVisible(status("1 order")), chromedp.WaitVisible(button("Mark delivered")))
	b.checkAccessibility("the admin page")
	b.shot("admin", false)

	// The console may hold the 401 of /auth/refresh (a visitor not signed
	// in yet); an uncaught exception is a bug.
	for _, m := range b.consoleLog() {
		if strings.HasPrefix(m, string(chromedp.ConsoleException)) {
			t.Errorf("browser console: %s", m)
		} else {
			t.Logf("browser console: %s", m)
		}
	}
}

// catalogShown waits for the catalog's count of products.
var catalogShown = chromedp.Poll[chromedp.Void](`/^\d+ products?$/.test(document.querySelector('main [role=status]')?.textContent)`)

// status is a live region (role status) whose text contains text.
func status(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//*[@role="status"][contains(normalize-space(), %s)]`, xq(text)))
}
