package main

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
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

// parseMix applies "name=weight,..." to the default mix (0 leaves one out;
// "*" is every scenario, so "*=0,checkout=1" runs checkouts only).
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
		if name == "*" {
			for i := range m {
				m[i].Weight = weight
			}
			continue
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

// The shapes of the answers the scenarios read.

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
