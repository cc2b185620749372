// Package catalog is the product catalog: products, the category tree, prices
// in several currencies with their history, and search. Stock levels and
// reservations live in package inventory.
package catalog

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Product is a catalog item with its stock level and current prices.
type Product struct {
	ID          uuid.UUID
	SKU         string
	Name        string
	Description string
	CategoryID  *uuid.UUID
	Images      []Image
	Attributes  []Attribute
	Active      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// OnHand units are in the warehouse; Reserved of them are promised to
	// unfinished orders.
	OnHand   int
	Reserved int
	// Prices holds one current price per currency, ordered by currency.
	Prices []money.Money

	// batch is the products loaded with this one (nil: loaded alone).
	batch *batch
}

// Image is a product picture.
type Image struct {
	URL     string  `json:"url"`
	AltText *string `json:"altText,omitempty"`
}

// Attribute is a free-form property such as colour or material.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Price is the current price in currency, or nil if the product is not sold in it.
func (p *Product) Price(currency string) *money.Money {
	for i := range p.Prices {
		if p.Prices[i].Currency == currency {
			return &p.Prices[i]
		}
	}
	return nil
}

// AvailableQuantity is what can be ordered now.
func (p *Product) AvailableQuantity() int { return max(p.OnHand-p.Reserved, 0) }

// InStock reports whether at least one unit can be ordered.
func (p *Product) InStock() bool { return p.AvailableQuantity() > 0 }

func productFromView(v store.ProductView) (*Product, error) {
	p := &Product{
		ID:          v.ID,
		SKU:         v.Sku,
		Name:        v.Name,
		Description: v.Description,
		Active:      v.Active,
		CreatedAt:   v.CreatedAt,
		UpdatedAt:   v.UpdatedAt,
		OnHand:      int(v.OnHand),
		Reserved:    int(v.Reserved),
		Prices:      make([]money.Money, len(v.PriceCurrencies)),
	}
	if v.CategoryID.Valid {
		p.CategoryID = &v.CategoryID.UUID
	}
	if err := json.Unmarshal(v.Images, &p.Images); err != nil {
		return nil, fmt.Errorf("decode images of %s: %w", v.ID, err)
	}
	attrs, err := decodeAttributes(v.Attributes)
	if err != nil {
		return nil, fmt.Errorf("decode attributes of %s: %w", v.ID, err)
	}
	p.Attributes = attrs
	for i, c := range v.PriceCurrencies {
		p.Prices[i] = money.Money{Amount: v.PriceAmounts[i], Currency: c}
	}
	return p, nil
}

// Attributes are stored as a JSON object and served sorted by name.
func decodeAttributes(b []byte) ([]Attribute, error) {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := make([]Attribute, 0, len(m))
	for k, v := range m {
		out = append(out, Attribute{Name: k, Value: v})
	}
	sortAttributes(out)
	return out, nil
}

// IsEntity marks Product as a federation entity for gqlgen.
func (Product) IsEntity() {}
