package order_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/paymentgw"
	"github.com/virtual-store/virtual-store/subgraphs/order"
	"github.com/virtual-store/virtual-store/subgraphs/product"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
)

// The GraphQL tests run the real order service over its own PostgreSQL
// database, calling a real product service and a real payment gateway
// (each on a database of its own) over mutual TLS, and speak to it as the
// router does: over mutual TLS, with the router's identity statement.

var (
	products *product.Service
	orderReg *prometheus.Registry // the order service's metrics (statements timed by name)
	router   gqltest.Client       // the router with no caller signed in
)

func TestMain(m *testing.M) {
	os.Exit(testdb.RunPackage(m, "order", func(orderURL string) (func(), error) {
		teardown, err := startStack(orderURL)
		if err != nil {
			teardown()
		}
		return teardown, err
	}))
}

// startStack starts the product service, the payment gateway and the
// order service; teardown stops whatever started, in reverse.
func startStack(orderURL string) (teardown func(), err error) {
	ctx, log, dev := context.Background(), gqltest.Quiet(), service.Common{Environment: service.EnvDevelopment}
	var undo []func()
	teardown = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	dir, err := os.MkdirTemp("", "order-pki-")
	if err != nil {
		return teardown, err
	}
	undo = append(undo, func() { _ = os.RemoveAll(dir) })
	kit, err := pkitest.Make(dir)
	if err != nil {
		return teardown, err
	}
	listen := func(identity string, h http.Handler) (string, error) {
		src, err := kit.Load(identity)
		if err != nil {
			return "", err
		}
		srv := pkitest.Listen(src, h)
		undo = append(undo, srv.Close)
		return srv.URL, nil
	}
	// startOn starts a service on a database of its own, over mutual TLS.
	startOn := func(label, identity string, start func(dbURL string) (http.Handler, func(), error)) (string, error) {
		url, drop, err := testdb.Create(ctx, label)
		if err != nil {
			return "", err
		}
		undo = append(undo, func() { _ = drop() })
		h, stop, err := start(url)
		if err != nil {
			return "", err
		}
		undo = append(undo, stop)
		return listen(identity, h)
	}
	productAddr, err := startOn("order_product", pki.Product, func(url string) (http.Handler, func(), error) {
		svc, err := product.New(ctx, product.Config{DatabaseURL: url, ReservationTTL: time.Minute, ComplexityLimit: 5000}, dev, log, service.NewRegistry())
		if err != nil {
			return nil, nil, err
		}
		products = svc
		return svc.Handler, svc.Pool.Close, nil
	})
	if err != nil {
		return teardown, err
	}
	gatewayAddr, err := startOn("order_paymentgw", pki.PaymentGW, func(url string) (http.Handler, func(), error) {
		svc, err := paymentgw.NewService(ctx, paymentgw.Config{DatabaseURL: url}, dev, log, service.NewRegistry())
		if err != nil {
			return nil, nil, err
		}
		return svc.Handler, svc.Pool.Close, nil
	})
	if err != nil {
		return teardown, err
	}

	orderSrc, err := kit.Load(pki.Order)
	if err != nil {
		return teardown, err
	}
	orderReg = service.NewRegistry()
	orders, err := order.New(ctx, order.Config{
		DatabaseURL: orderURL, DBMaxConns: 10, ProductURL: productAddr, PaymentURL: gatewayAddr,
		CheckoutWait: 10 * time.Second, WorkerInterval: time.Second, WorkerParallel: 1, ComplexityLimit: 5000,
	}, dev, log, orderReg, orderSrc)
	if err != nil {
		return teardown, err
	}
	undo = append(undo, orders.Pool.Close)
	// The live feed of subscriptions (not the saga worker: the tests run
	// sagas themselves).
	feedCtx, stopFeed := context.WithCancel(ctx)
	feedDone := make(chan struct{})
	go func() { defer close(feedDone); _ = orders.Feed.Run(feedCtx) }()
	undo = append(undo, func() { stopFeed(); <-feedDone })
	select {
	case <-orders.Feed.Ready():
	case <-time.After(10 * time.Second):
		return teardown, errors.New("the order feed did not start listening")
	}
	orderAddr, err := listen(pki.Order, orders.Handler)
	if err != nil {
		return teardown, err
	}
	routerSrc, err := kit.Load(pki.Router)
	if err != nil {
		return teardown, err
	}
	router = gqltest.Client{URL: orderAddr + "/graphql", HTTP: pkitest.ClientOf(routerSrc, pki.Order)}
	return teardown, nil
}

// as is the router speaking for a signed-in caller with roles.
func as(sub string, roles ...string) gqltest.Client {
	return router.With(auth.IdentityHeader, pkitest.Says(pki.Order, sub, roles...))
}

// customer is a new customer, unknown to every other test.
func customer() (id string, c gqltest.Client) {
	id = "user-" + uuid.NewString()
	return id, as(id, auth.RoleCustomer)
}

// admin is a new administrator.
func admin() (id string, c gqltest.Client) {
	id = "admin-" + uuid.NewString()
	return id, as(id, auth.RoleAdmin)
}

var skuSeq atomic.Int64

// newProduct creates a product with stock, priced in each of prices.
func newProduct(t *testing.T, stock int, prices ...money.Money) string {
	t.Helper()
	p, err := products.Catalog.CreateProduct(context.Background(), catalog.NewProduct{
		SKU: fmt.Sprintf("ORDER-%d-%d", time.Now().UnixNano(), skuSeq.Add(1)), Name: "Order test product",
		Prices: prices, InitialStock: stock,
	}, "test")
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p.ID.String()
}

func eur(minor int64) money.Money { return money.Money{Amount: minor, Currency: "EUR"} }
func usd(minor int64) money.Money { return money.Money{Amount: minor, Currency: "USD"} }

// wantNoErrors fails the test on GraphQL errors.
func wantNoErrors(t *testing.T, what string, r gqltest.Response) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %v", what, r.Errors)
	}
}

// wantCodes checks the error codes of an answer.
func wantCodes(t *testing.T, what string, r gqltest.Response, codes ...string) {
	t.Helper()
	if fmt.Sprint(r.Codes()) != fmt.Sprint(codes) {
		t.Errorf("%s: error codes %v, want %v (%s)", what, r.Codes(), codes, r.Raw)
	}
}

const addToCart = `mutation($p: ID!, $q: Int, $c: String) {
	addToCart(input: {productId: $p, quantity: $q, currency: $c}) {
		cart { currency itemCount subtotal { amount currency } lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } available } }
		userErrors { code field }
	}
}`

const checkoutMutation = `mutation($key: String!, $token: String!) {
	checkout(input: {idempotencyKey: $key, paymentToken: $token,
		shippingAddress: {fullName: "Ada Lovelace", line1: "1 Test Street", city: "Berlin", postalCode: "10115", country: "de"}}) {
		order { id status paymentStatus failureReason total { amount currency } }
		userErrors { code }
	}
}`

// buy puts quantity of product into c's cart and checks out with the
// card token; it returns the order's id and status.
func buy(t *testing.T, c gqltest.Client, product string, quantity int, token string) (id, status string) {
	t.Helper()
	r := c.Do(t, addToCart, map[string]any{"p": product, "q": quantity})
	wantNoErrors(t, "addToCart", r)
	if ues := r.UserErrorCodes("addToCart"); len(ues) > 0 {
		t.Fatalf("addToCart: %v", ues)
	}
	r = c.Do(t, checkoutMutation, map[string]any{"key": uuid.NewString(), "token": token})
	wantNoErrors(t, "checkout", r)
	id, _ = r.Dig("checkout", "order", "id").(string)
	status, _ = r.Dig("checkout", "order", "status").(string)
	if id == "" {
		t.Fatalf("checkout placed no order: %s", r.Raw)
	}
	return id, status
}

// placed is a new customer's order of a new product, paid.
type placed struct {
	customerID string
	customer   gqltest.Client
	product    string
	id         string
}

func paidOrder(t *testing.T, quantity int) placed {
	t.Helper()
	p := placed{product: newProduct(t, 5, eur(1250))}
	p.customerID, p.customer = customer()
	var status string
	if p.id, status = buy(t, p.customer, p.product, quantity, "tok_visa"); status != "PAID" {
		t.Fatalf("checkout: %s, want PAID", status)
	}
	return p
}
