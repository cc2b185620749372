// Package money is the store's one representation of an amount: exact minor
// units in an ISO 4217 currency. The subgraphs bind their GraphQL Money type
// to it, and the payment and product API clients carry it over REST.
package money

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

// DefaultCurrency is the currency a price, cart or checkout is in when the
// caller names none.
const DefaultCurrency = "EUR"

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
