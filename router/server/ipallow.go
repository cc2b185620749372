package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/engine"
)

// ipRule allows some root fields or operation names only from networks.
type ipRule struct {
	fields     []string // "Mutation.createProduct" or "Mutation.*"
	operations []string
	networks   clientip.Networks
}

func parseIPRules(cfg []config.IPRule) ([]ipRule, error) {
	out := make([]ipRule, 0, len(cfg))
	for i, r := range cfg {
		n, err := clientip.ParseNetworks(r.CIDRs)
		if err != nil {
			return nil, fmt.Errorf("ip_allow.rules[%d]: %w", i, err)
		}
		if len(n) == 0 || len(r.Fields) == 0 && len(r.Operations) == 0 {
			return nil, fmt.Errorf("ip_allow.rules[%d]: a rule needs cidrs and fields or operations", i)
		}
		out = append(out, ipRule{fields: r.Fields, operations: r.Operations, networks: n})
	}
	return out, nil
}

func (r ipRule) covers(opName string, rootFields []string) bool {
	if opName != "" && slices.Contains(r.operations, opName) {
		return true
	}
	for _, f := range rootFields {
		for _, pattern := range r.fields {
			if pattern == f || strings.HasSuffix(pattern, ".*") && strings.HasPrefix(f, strings.TrimSuffix(pattern, "*")) {
				return true
			}
		}
	}
	return false
}

// allowIPs refuses callers outside ip_allow.router (when set).
func (g *gateway) allowIPs(next http.Handler) http.Handler {
	if len(g.allowAll) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allowAll.Contains(g.ips.Of(r)) {
			g.refuse(w, r, http.StatusForbidden, errcode.IPNotAllowed, "this address may not call the router")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// guardOperation applies the per-operation rules once the operation is known.
func (g *gateway) guardOperation(r *http.Request, opName string, rootFields []string) *engine.RequestError {
	if len(g.rules) == 0 {
		return nil
	}
	ip := g.ips.Of(r)
	for _, rule := range g.rules {
		if rule.covers(opName, rootFields) && !rule.networks.Contains(ip) {
			return engine.Refuse(errcode.IPNotAllowed, "this operation may not be called from this address")
		}
	}
	return nil
}
