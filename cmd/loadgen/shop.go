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
	"sync"
	"sync/atomic"
	"time"
	"unicode"
)

// shop is what the shoppers share: the client, the catalog they have seen,
// the accounts they made, the admin's sign-in.
type shop struct {
	c        *client
	currency string
	runID    string // in this run's e-mail addresses
	adminCred
	admin    tokenHolder
	catalog  catalog
	accounts pool
	// stopping is set when the run's time is up: polling loops give up.
	stopping atomic.Bool
	// turns rotates the variants of the account, catalog and mistakes
	// scenarios and the cards, so that even a short run does each of them.
	turns struct{ account, catalog, checkout, mistake atomic.Int64 }
	// category is the category this run's new products go into (made by
	// the first catalog scenario).
	category struct {
		mu sync.Mutex
		id string
	}
}

type adminCred struct{ email, password string }

func newShop(c *client, currency, adminEmail, adminPassword string) *shop {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &shop{c: c, currency: currency, runID: hex.EncodeToString(b), adminCred: adminCred{adminEmail, adminPassword}}
}

// A token is renewed well before its 15 minutes are up.
const tokenMaxAge = 10 * time.Minute

type tokenHolder struct {
	mu    sync.Mutex
	token string
	at    time.Time
}

// account is a customer the load generator registered; one scenario at a
// time uses it, so its cart is its own.
type account struct {
	id              string
	email, password string
	token           string
	refresh         string // the refresh token of the current sign-in
	tokenAt         time.Time
}

// signedIn takes the tokens of a register, login or refreshToken answer.
func (a *account) signedIn(p authPayload) {
	a.token, a.refresh, a.tokenAt = p.AccessToken, p.RefreshToken, time.Now()
	if p.User != nil && p.User.ID != "" {
		a.id = p.User.ID
	}
}

// pool holds the accounts not in use.
type pool struct {
	mu   sync.Mutex
	idle []*account
	made atomic.Int64
}

func (p *pool) take() *account {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil
	}
	i := mrand.IntN(len(p.idle))
	a := p.idle[i]
	p.idle = slices.Delete(p.idle, i, i+1)
	return a
}

func (p *pool) put(a *account) {
	p.mu.Lock()
	p.idle = append(p.idle, a)
	p.mu.Unlock()
}

// catalog is what the shoppers know of the products (ids, stock as last seen)
// and the categories, and words to search for.
type catalog struct {
	mu         sync.Mutex
	products   []product
	byID       map[string]int
	categories []string
	terms      []string
}

type product struct {
	ID, SKU, Name     string
	AvailableQuantity int
}

func (c *catalog) seen(ps ...product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]int{}
	}
	for _, p := range ps {
		if i, ok := c.byID[p.ID]; ok {
			c.products[i].AvailableQuantity = p.AvailableQuantity
			continue
		}
		c.byID[p.ID] = len(c.products)
		c.products = append(c.products, p)
	}
}

func (c *catalog) setAvailable(id string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.byID[id]; ok {
		c.products[i].AvailableQuantity = n
	}
}

// pick is a random product, one in stock (as last seen) if inStock and there is one.
func (c *catalog) pick(inStock bool) (product, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.products) == 0 {
		return product{}, false
	}
	if inStock {
		var avail []product
		for _, p := range c.products {
			if p.AvailableQuantity > 0 {
				avail = append(avail, p)
			}
		}
		if len(avail) > 0 {
			return avail[mrand.IntN(len(avail))], true
		}
	}
	return c.products[mrand.IntN(len(c.products))], true
}

func (c *catalog) category() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.categories) == 0 {
		return ""
	}
	return c.categories[mrand.IntN(len(c.categories))]
}

// term is something to search for: mostly a word of a product name, now and
// then a phrase in web-search syntax or something nobody sells.
func (c *catalog) term() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch n := mrand.IntN(10); {
	case n == 0 || len(c.terms) < 2:
		return "unobtainium"
	case n == 1:
		return c.terms[mrand.IntN(len(c.terms))] + " -" + c.terms[mrand.IntN(len(c.terms))]
	default:
		return c.terms[mrand.IntN(len(c.terms))]
	}
}

// ------------------------------------------------------------ set-up

// load reads the categories and the whole catalog (not recorded in the
// stats) so the shoppers know what there is.
func (sh *shop) load(ctx context.Context) error {
	quiet := *sh.c
	quiet.stats = nil
	var cats struct{ Categories []category }
	if err := quiet.call(ctx, opCategories, nil, "", &cats); err != nil {
		return err
	}
	var walk func([]category)
	walk = func(cs []category) {
		for _, c := range cs {
			sh.catalog.categories = append(sh.catalog.categories, c.ID)
			walk(c.Children)
		}
	}
	walk(cats.Categories)
	after := ""
	for {
		var l listing
		if err := quiet.call(ctx, opBrowse, browseVars(100, after, nil, "NAME", sh.currency), "", &l); err != nil {
			return err
		}
		for _, e := range l.Products.Edges {
			sh.catalog.seen(e.Node)
		}
		if !l.Products.PageInfo.HasNextPage {
			break
		}
		after = l.Products.PageInfo.EndCursor
	}
	words := map[string]bool{}
	for _, p := range sh.catalog.products {
		for _, w := range strings.FieldsFunc(strings.ToLower(p.Name), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len(w) >= 4 {
				words[w] = true
			}
		}
	}
	for w := range words {
		sh.catalog.terms = append(sh.catalog.terms, w)
	}
	sort.Strings(sh.catalog.terms)
	if len(sh.catalog.products) == 0 {
		return errors.New("the catalog is empty (is the product service seeded? make run does it)")
	}
	return nil
}

// ------------------------------------------------------------ accounts

// customer lends a signed-in account to a scenario: an idle one (signed in
// again when its token is old), or a new registration. Give it back with
// sh.accounts.put.
func (sh *shop) customer(ctx context.Context) (*account, error) {
	a := sh.accounts.take()
	if a == nil {
		return sh.newAccount(ctx)
	}
	if time.Since(a.tokenAt) > tokenMaxAge {
		if err := sh.login(ctx, a); err != nil {
			sh.accounts.put(a)
			return nil, err
		}
	}
	return a, nil
}

func (sh *shop) newAccount(ctx context.Context) (*account, error) {
	n := sh.accounts.made.Add(1)
	a := &account{
		email:    fmt.Sprintf("loadgen-%s-%d@example.com", sh.runID, n),
		password: "loadgen password " + sh.runID,
	}
	var out struct{ Register authPayload }
	if err := sh.c.call(ctx, opRegister, registerVars(a.email, a.password, fmt.Sprintf("Shopper %d", n)), "", &out); err != nil {
		return nil, err
	}
	if _, err := sh.c.checkUserErrors(opRegister, out.Register.UserErrors); err != nil {
		return nil, err
	}
	a.signedIn(out.Register)
	return a, nil
}

func (sh *shop) login(ctx context.Context, a *account) error {
	var out struct{ Login authPayload }
	if err := sh.c.call(ctx, opLogin, loginVars(a.email, a.password), "", &out); err != nil {
		return err
	}
	if _, err := sh.c.checkUserErrors(opLogin, out.Login.UserErrors); err != nil {
		return err
	}
	a.signedIn(out.Login)
	return nil
}

// adminToken signs the admin in when there is no fresh token.
func (sh *shop) adminToken(ctx context.Context) (string, error) {
	sh.admin.mu.Lock()
	defer sh.admin.mu.Unlock()
	if sh.admin.token != "" && time.Since(sh.admin.at) < tokenMaxAge {
		return sh.admin.token, nil
	}
	a := &account{email: sh.adminCred.email, password: sh.adminCred.password}
	if err := sh.login(ctx, a); err != nil {
		return "", fmt.Errorf("admin sign-in as %s: %w", a.email, err)
	}
	sh.admin.token, sh.admin.at = a.token, a.tokenAt
	return a.token, nil
}
