// Package graph holds the GraphQL building blocks every subgraph shares: the
// Money type, Relay connections and cursors, mutation user errors, GraphQL
// error codes, and the gqlgen handler with per-resolver metrics and tracing.
package graph

import (
	"fmt"

	"github.com/bojanz/currency"
)

// Money is an exact amount in a currency's minor unit. bojanz/currency supplies
// the ISO 4217 table (minor-unit digits) and CLDR locale formatting, which
// would otherwise be a large hand-maintained table.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ValidCurrency reports whether code is an ISO 4217 currency code.
func ValidCurrency(code string) bool { return currency.IsValid(code) && code != "" }

// Formatted renders the amount for display in locale, e.g. "€12.99" in "en".
func (m Money) Formatted(locale *string) (string, error) {
	amt, err := currency.NewAmountFromInt64(m.Amount, m.Currency)
	if err != nil {
		return "", fmt.Errorf("format money: %w", err)
	}
	loc := currency.NewLocale("en")
	if locale != nil && *locale != "" {
		// A locale without a language ("-US", found by FuzzMoney) would
		// format as "": such a locale is no locale.
		if l := currency.NewLocale(*locale); l.Language != "" {
			loc = l
		}
	}
	return currency.NewFormatter(loc).Format(amt), nil
}

// String is for logs and errors.
func (m Money) String() string {
	s, err := m.Formatted(nil)
	if err != nil {
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	return s
}
