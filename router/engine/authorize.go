package engine

import (
	"context"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/router/authz"
	"github.com/virtual-store/virtual-store/router/plan"
)

// denied names the guarded fields of pl the caller (auth.FromContext) may
// not see, each with its code; nil when it may see them all.
func (e *Engine) denied(ctx context.Context, pl planned) map[string]string {
	var claims *auth.Claims
	if c, ok := auth.FromContext(ctx); ok {
		claims = &c
	}
	return e.policy.Denied(pl.guarded, claims)
}

// withoutDenied plans pl's operation without the denied fields. Such plans
// are kept with the cached plan, one per set of denied fields, unless the
// plan depends on the variables (then it is this request's alone).
func (e *Engine) withoutDenied(cp *cachedPlan, pl planned, denied map[string]string, labels string) (*plan.Plan, error) {
	key := authz.Key(denied)
	if fp, ok := cp.filtered.Load(key); ok && cp.plan != nil {
		return fp.(*plan.Plan), nil
	}
	fp, err := e.plan(authz.Filter(pl.op, denied), labels)
	if err != nil {
		return nil, err
	}
	if cp.plan != nil {
		cp.filtered.Store(key, fp)
	}
	return fp, nil
}
