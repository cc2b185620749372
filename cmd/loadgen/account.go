package main

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"
)

// The customer's account pages: the profile and addresses, the sessions,
// the orders.

type address struct {
	ID                string
	IsDefaultShipping bool
}

// userPayload is what the shoppers read of a profile or address mutation.
type userPayload struct {
	User *struct {
		ID        string
		Addresses []address
	}
	UserErrors []userError
}

// account: a customer on their account page, who then does one thing, in
// turn: edits the profile, moves house (a new address, corrected, made the
// default, the old one removed), renews the session with the refresh token,
// changes the password, or signs out.
func (sh *shop) account(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	var page struct {
		Me *struct {
			ID        string
			Addresses []address
		}
	}
	if err := sh.c.call(ctx, opAccount, nil, a.token, &page); err != nil {
		return err
	}
	if page.Me == nil {
		err := errors.New("no profile (me is null) for a signed-in customer")
		sh.c.stats.fail(opAccount.Name, err)
		return err
	}
	switch sh.turns.account.Add(1) % 5 {
	case 0:
		return sh.editProfile(ctx, a)
	case 1:
		return sh.moveHouse(ctx, a, page.Me.Addresses)
	case 2:
		return sh.renewSession(ctx, a)
	case 3:
		return sh.changePassword(ctx, a)
	default:
		return sh.signOut(ctx, a)
	}
}

// userMutation sends a profile or address mutation (its payload is the
// answer's only field) and returns the user's addresses after it.
func (sh *shop) userMutation(ctx context.Context, a *account, op operation, vars map[string]any) ([]address, error) {
	var out map[string]userPayload
	if err := sh.c.call(ctx, op, vars, a.token, &out); err != nil {
		return nil, err
	}
	for _, p := range out {
		if _, err := sh.c.checkUserErrors(op, p.UserErrors); err != nil {
			return nil, err
		}
		if p.User == nil {
			err := errors.New("no user in the answer")
			sh.c.stats.fail(op.Name, err)
			return nil, err
		}
		return p.User.Addresses, nil
	}
	err := errors.New("no payload in the answer")
	sh.c.stats.fail(op.Name, err)
	return nil, err
}

func (sh *shop) editProfile(ctx context.Context, a *account) error {
	phone := fmt.Sprintf("+49 30 %04d %04d", mrand.IntN(10000), mrand.IntN(10000))
	_, err := sh.userMutation(ctx, a, opUpdateProfile, updateProfileVars("Shopper "+a.email[:min(len(a.email), 20)], phone))
	return err
}

// moveHouse: a new address (after a first one, for a customer who has
// none), a typo in it corrected, made the default shipping address, and the
// old address removed.
func (sh *shop) moveHouse(ctx context.Context, a *account, addrs []address) error {
	var err error
	if len(addrs) == 0 {
		if addrs, err = sh.userMutation(ctx, a, opAddAddress, addAddressVars(addressInput("Home", "Load Generator", "Main St 1", "Berlin", "10115", "DE"))); err != nil {
			return err
		}
	}
	street := fmt.Sprintf("Lindenstr. %d", 1+mrand.IntN(200))
	after, err := sh.userMutation(ctx, a, opAddAddress, addAddressVars(addressInput("New home", "Load Generator", street, "Berln", "10969", "DE")))
	if err != nil {
		return err
	}
	newID := ""
	for _, ad := range after {
		if !slices.ContainsFunc(addrs, func(old address) bool { return old.ID == ad.ID }) {
			newID = ad.ID
		}
	}
	if newID == "" || len(addrs) == 0 {
		err := fmt.Errorf("the new address is not in the answer (%d addresses before, %d after)", len(addrs), len(after))
		sh.c.stats.fail(opAddAddress.Name, err)
		return err
	}
	if _, err := sh.userMutation(ctx, a, opUpdateAddress, updateAddressVars(newID, addressInput("New home", "Load Generator", street, "Berlin", "10969", "DE"))); err != nil {
		return err
	}
	if _, err := sh.userMutation(ctx, a, opSetDefaultAddress, addressIDVars(newID)); err != nil {
		return err
	}
	if _, err := sh.userMutation(ctx, a, opRemoveAddress, addressIDVars(addrs[0].ID)); err != nil {
		return err
	}
	sh.c.stats.outcome("Account moved house")
	return nil
}

// renewSession exchanges the refresh token for new tokens, as a client does
// before the access token expires.
func (sh *shop) renewSession(ctx context.Context, a *account) error {
	if a.refresh == "" {
		return sh.login(ctx, a)
	}
	var out struct{ RefreshToken authPayload }
	if err := sh.c.call(ctx, opRefreshToken, refreshTokenVars(a.refresh), "", &out); err != nil {
		return err
	}
	if _, err := sh.c.checkUserErrors(opRefreshToken, out.RefreshToken.UserErrors); err != nil {
		return err
	}
	id := a.id
	a.signedIn(out.RefreshToken)
	a.id = id
	return nil
}

// changePassword: a new password signs every session out; the customer
// signs in again with it.
func (sh *shop) changePassword(ctx context.Context, a *account) error {
	next := fmt.Sprintf("loadgen password %s %d", sh.runID, sh.turns.account.Load())
	if _, err := sh.userMutation(ctx, a, opChangePassword, changePasswordVars(a.password, next)); err != nil {
		return err
	}
	a.password = next
	return sh.login(ctx, a)
}

// signOut ends the session; the account signs in again when next used.
func (sh *shop) signOut(ctx context.Context, a *account) error {
	if a.refresh == "" {
		return nil
	}
	var out struct {
		Logout struct {
			Ok         bool
			UserErrors []userError
		}
	}
	if err := sh.c.call(ctx, opLogout, logoutVars(a.refresh), a.token, &out); err != nil {
		return err
	}
	if _, err := sh.c.checkUserErrors(opLogout, out.Logout.UserErrors); err != nil {
		return err
	}
	a.token, a.refresh, a.tokenAt = "", "", time.Time{}
	return nil
}

// myOrders is the customer's latest orders, newest first.
func (sh *shop) myOrders(ctx context.Context, a *account) ([]order, error) {
	var mine struct {
		Me *struct {
			Orders struct{ Edges []struct{ Node order } }
		}
	}
	if err := sh.c.call(ctx, opMyOrders, myOrdersVars(10), a.token, &mine); err != nil || mine.Me == nil {
		return nil, err
	}
	out := make([]order, len(mine.Me.Orders.Edges))
	for i, e := range mine.Me.Orders.Edges {
		out[i] = e.Node
	}
	return out, nil
}

// orders: a customer looks at their orders and opens one.
func (sh *shop) orders(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	mine, err := sh.myOrders(ctx, a)
	if err != nil {
		return err
	}
	if len(mine) == 0 {
		sh.c.stats.outcome("Orders none yet")
		return nil
	}
	id := mine[mrand.IntN(len(mine))].ID
	var out struct{ Order *order }
	if err := sh.c.call(ctx, opOrderDetails, orderVars(id), a.token, &out); err != nil {
		return err
	}
	if out.Order == nil {
		err := errors.New("one of the customer's own orders is not found")
		sh.c.stats.fail(opOrderDetails.Name, err)
		return err
	}
	// The page then follows the order live: the subscription's first event
	// is the order as it is.
	var live struct{ OrderStatusChanged *order }
	if err := sh.c.first(ctx, opWatchOrder, orderVars(id), a.token, &live); err != nil {
		return err
	}
	if live.OrderStatusChanged == nil || live.OrderStatusChanged.ID != id {
		err := fmt.Errorf("the live status of order %s is %+v", id, live.OrderStatusChanged)
		sh.c.stats.fail(opWatchOrder.Name, err)
		return err
	}
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
