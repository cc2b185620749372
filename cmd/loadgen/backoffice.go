package main

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"time"
)

// The admin's back office: shipping orders, the catalog, staff roles.

// fulfil: the admin ships paid orders: up to three of them are packed
// (startFulfillment), shipped with a tracking number, and delivered (the
// carrier's confirmation, here at once). A customer may cancel an order
// meanwhile: CONFLICT is an outcome.
func (sh *shop) fulfil(ctx context.Context) error {
	token, err := sh.adminToken(ctx)
	if err != nil {
		return err
	}
	var list struct {
		Orders struct{ Edges []struct{ Node order } }
	}
	if err := sh.c.call(ctx, opOrdersToFulfil, ordersToFulfilVars(10, "PAID"), token, &list); err != nil {
		return err
	}
	if len(list.Orders.Edges) == 0 {
		sh.c.stats.outcome("Fulfil nothing paid")
		return nil
	}
	for _, e := range list.Orders.Edges[:min(3, len(list.Orders.Edges))] {
		id := e.Node.ID
		steps := []struct {
			op   operation
			vars map[string]any
		}{
			{opStartFulfillment, orderVars(id)},
			{opMarkShipped, markShippedVars(id, fmt.Sprintf("LG%010d", mrand.IntN(1e10)))},
			{opMarkDelivered, orderVars(id)},
		}
		for _, s := range steps {
			var out map[string]orderPayload
			if err := sh.c.call(ctx, s.op, s.vars, token, &out); err != nil {
				return err
			}
			var p orderPayload
			for _, v := range out {
				p = v
			}
			c, err := sh.c.checkUserErrors(s.op, p.UserErrors, "CONFLICT")
			if err != nil {
				return err
			}
			if c != "" {
				break // cancelled meanwhile
			}
			if p.Order == nil {
				err := errors.New("no order in the answer")
				sh.c.stats.fail(s.op.Name, err)
				return err
			}
		}
	}
	return nil
}

// catalogWork: the admin adds a product (to the load generator's category,
// made the first time), corrects its description, changes its price, looks
// at the price history, and archives it; every other time they restore it
// (it stays for sale).
func (sh *shop) catalogWork(ctx context.Context) error {
	token, err := sh.adminToken(ctx)
	if err != nil {
		return err
	}
	category, err := sh.loadgenCategory(ctx, token)
	if err != nil {
		return err
	}
	n := sh.turns.catalog.Add(1)
	price := 500 + 100*mrand.IntN(100)
	var created struct{ CreateProduct productPayload }
	if err := sh.c.call(ctx, opCreateProduct, createProductVars(fmt.Sprintf("LOADGEN-%s-%d", sh.runID, n),
		fmt.Sprintf("Loadgen sample %d", n), category, price, 20), token, &created); err != nil {
		return err
	}
	if _, err := sh.c.checkUserErrors(opCreateProduct, created.CreateProduct.UserErrors); err != nil {
		return err
	}
	if created.CreateProduct.Product == nil {
		err := errors.New("no product in the answer")
		sh.c.stats.fail(opCreateProduct.Name, err)
		return err
	}
	id := created.CreateProduct.Product.ID
	steps := []struct {
		op   operation
		vars map[string]any
	}{
		{opUpdateProduct, updateProductVars(id, "Made by the load generator's admin, description corrected.")},
		{opSetPrice, setPriceVars(id, price+100, "EUR")},
	}
	for _, s := range steps {
		if err := sh.productMutation(ctx, token, s.op, s.vars); err != nil {
			return err
		}
	}
	if err := sh.c.call(ctx, opPriceHistory, priceHistoryVars(id, 5), token, nil); err != nil {
		return err
	}
	if err := sh.productMutation(ctx, token, opArchiveProduct, productIDVars(id)); err != nil {
		return err
	}
	if n%2 == 0 {
		return sh.productMutation(ctx, token, opRestoreProduct, productIDVars(id))
	}
	return nil
}

type productPayload struct {
	Product    *struct{ ID string }
	UserErrors []userError
}

// productMutation sends a catalog mutation (its payload is the answer's
// only field) that must succeed.
func (sh *shop) productMutation(ctx context.Context, token string, op operation, vars map[string]any) error {
	var out map[string]productPayload
	if err := sh.c.call(ctx, op, vars, token, &out); err != nil {
		return err
	}
	for _, p := range out {
		if _, err := sh.c.checkUserErrors(op, p.UserErrors); err != nil {
			return err
		}
		if p.Product == nil {
			err := errors.New("no product in the answer")
			sh.c.stats.fail(op.Name, err)
			return err
		}
	}
	return nil
}

// loadgenSlug is the category the admin's new products go into.
const loadgenSlug = "loadgen"

// loadgenCategory is the id of the category with loadgenSlug, created if
// there is none yet (one for every run against the same store).
func (sh *shop) loadgenCategory(ctx context.Context, token string) (string, error) {
	sh.category.mu.Lock()
	defer sh.category.mu.Unlock()
	if sh.category.id != "" {
		return sh.category.id, nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		var cats struct{ Categories []struct{ ID, Slug string } }
		if err := sh.c.call(ctx, opCategories, nil, token, &cats); err != nil {
			return "", err
		}
		for _, c := range cats.Categories {
			if c.Slug == loadgenSlug {
				sh.category.id = c.ID
				return c.ID, nil
			}
		}
		var out struct {
			CreateCategory struct {
				Category   *struct{ ID string }
				UserErrors []userError
			}
		}
		if err := sh.c.call(ctx, opCreateCategory, createCategoryVars("", loadgenSlug, "Load generator"), token, &out); err != nil {
			return "", err
		}
		// ALREADY_EXISTS: another run made it meanwhile; read it again.
		if c, err := sh.c.checkUserErrors(opCreateCategory, out.CreateCategory.UserErrors, "ALREADY_EXISTS"); err != nil || c != "" {
			if err != nil {
				return "", err
			}
			continue
		}
		if out.CreateCategory.Category != nil {
			sh.category.id = out.CreateCategory.Category.ID
			return sh.category.id, nil
		}
	}
	err := errors.New("no category " + loadgenSlug + " after creating it")
	sh.c.stats.fail(opCreateCategory.Name, err)
	return "", err
}

// staff: the admin looks a customer up and makes them an admin for a
// moment (a colleague helping out), then takes the role back. A role change
// signs the customer out everywhere (the user service revokes their
// sessions), so the account is held meanwhile and signs in again when next
// used, as the customer would.
func (sh *shop) staff(ctx context.Context) error {
	token, err := sh.adminToken(ctx)
	if err != nil {
		return err
	}
	a := sh.accounts.take()
	if a == nil || a.id == "" {
		if a != nil {
			sh.accounts.put(a)
		}
		sh.c.stats.outcome("Staff nobody to promote yet")
		return nil
	}
	defer sh.accounts.put(a)
	id := a.id
	if err := sh.c.call(ctx, opUser, userVars(id), token, nil); err != nil {
		return err
	}
	for _, op := range []operation{opGrantRole, opRevokeRole} {
		var out map[string]userPayload
		err := sh.c.call(ctx, op, roleVars(id, "ADMIN"), token, &out)
		a.token, a.refresh, a.tokenAt = "", "", time.Time{} // signed out (or may be)
		if err != nil {
			return err
		}
		for _, p := range out {
			if _, err := sh.c.checkUserErrors(op, p.UserErrors); err != nil {
				return err
			}
		}
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
