package money

import "testing"

func TestMoneyFormatted(t *testing.T) {
	de := "de"
	tests := []struct {
		m      Money
		locale *string
		want   string
	}{
		{Money{1299, "EUR"}, nil, "€12.99"},
		{Money{1299, "USD"}, nil, "$12.99"},
		{Money{1299, "EUR"}, &de, "12,99\u00a0€"},
		{Money{500, "JPY"}, nil, "¥500"},
		{Money{0, "EUR"}, nil, "€0.00"},
		{Money{123456789, "USD"}, nil, "$1,234,567.89"},
	}
	for _, tt := range tests {
		got, err := tt.m.Formatted(tt.locale)
		if err != nil {
			t.Fatalf("%v: %v", tt.m, err)
		}
		if got != tt.want {
			t.Errorf("%+v formatted = %q, want %q", tt.m, got, tt.want)
		}
	}
	if _, err := (Money{1, "XXY"}).Formatted(nil); err == nil {
		t.Error("unknown currency formatted without error")
	}
}

func TestValidCurrency(t *testing.T) {
	for code, want := range map[string]bool{"EUR": true, "USD": true, "JPY": true, "eur": false, "": false, "EURO": false} {
		if got := ValidCurrency(code); got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", code, got, want)
		}
	}
}
