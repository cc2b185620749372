package main

import (
	"context"
	"errors"

	"github.com/virtual-store/virtual-store/internal/errcode"
)

// Clients make mistakes, and the store's answers to them are part of its
// traffic: the router's refusals (router_rejections_total), authentication
// failures, subgraph errors, failed sign-ins. The mistakes scenario makes
// one at a time, each kind in turn; every run also makes each kind once at
// its start (mistakesOnce), so that even a short run shows every refusal on
// the dashboards.

// mistakes are the kinds, in turn.
var mistakes = []func(*shop, context.Context) error{
	(*shop).staleSession,
	(*shop).brokenOrderLink,
	(*shop).tooDeep,
	(*shop).signedOutCart,
}

// mistake: one client mistake the store refuses.
func (sh *shop) mistake(ctx context.Context) error {
	return mistakes[int(sh.turns.mistake.Add(1)-1)%len(mistakes)](sh, ctx)
}

// staleToken looks like an access token but is none the store issued (an
// expired or tampered session).
const staleToken = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2FkZ2VuIn0.c3RhbGU"

// staleSession: a client sends a token that does not verify: the router
// refuses it (UNAUTHENTICATED, an authentication failure).
func (sh *shop) staleSession(ctx context.Context) error {
	_, err := sh.c.refused(ctx, opStaleSession, nil, staleToken, errcode.Unauthenticated)
	return err
}

// brokenOrderLink: a customer follows a link with a malformed order id: the
// order subgraph answers an error for the field (BAD_USER_INPUT).
func (sh *shop) brokenOrderLink(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	_, err = sh.c.refused(ctx, opBrokenOrderLink, orderVars("order-from-an-old-email"), a.token, errcode.BadUserInput)
	return err
}

// tooDeep: a client nests deeper than the router allows by default (12
// levels): MAX_DEPTH_EXCEEDED.
func (sh *shop) tooDeep(ctx context.Context) error {
	_, err := sh.c.refused(ctx, opTooDeep, nil, "", errcode.TooDeep)
	return err
}

// signedOutCart: a visitor whose session ended opens the cart: the router
// refuses the field (UNAUTHORIZED: it needs a signed-in customer).
func (sh *shop) signedOutCart(ctx context.Context) error {
	_, err := sh.c.refused(ctx, opCart, cartVars(sh.currency), "", errcode.Unauthorized)
	return err
}

// mistakesOnce makes every kind of mistake once, and a returning customer
// mistypes their password once before getting it right (a failed sign-in;
// only once a run: the user service throttles sign-ins after 20 failures
// from one address in 15 minutes, and the load comes from one address).
func (sh *shop) mistakesOnce(ctx context.Context) error {
	var errs []error
	for _, m := range mistakes {
		errs = append(errs, m(sh, ctx))
	}
	a, err := sh.customer(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer sh.accounts.put(a)
	var out struct{ Login authPayload }
	if err := sh.c.call(ctx, opLogin, loginVars(a.email, "not my password"), "", &out); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if _, err := sh.c.checkUserErrors(opLogin, out.Login.UserErrors, "INVALID_CREDENTIALS"); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return errors.Join(append(errs, sh.login(ctx, a))...)
}
