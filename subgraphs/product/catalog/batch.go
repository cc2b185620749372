package catalog

import (
	"sync"

	"github.com/google/uuid"
)

// batch is the products one query loaded together: a page of a search, the
// representations of an entity request. A lookup that would cost a query
// per product (price history) runs once for the whole batch instead: the
// first product asked loads every product's, the others find theirs loaded.
// GraphQL asks each item of a list for the same fields, so what one product
// of a batch is asked for, all of them are. Unlike a dataloader's, the batch
// does not depend on timing: it is known when the products are loaded.
type batch struct {
	ids []uuid.UUID

	mu      sync.Mutex
	history map[historyArgs]*historyLoad
}

// historyArgs are the arguments of one priceHistory selection (aliases may
// ask for several).
type historyArgs struct {
	currency    string
	anyCurrency bool
	limit       int
}

type historyLoad struct {
	once      sync.Once
	byProduct map[uuid.UUID][]PriceChange
	err       error
}

func (b *batch) historyLoad(args historyArgs) *historyLoad {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.history == nil {
		b.history = map[historyArgs]*historyLoad{}
	}
	l := b.history[args]
	if l == nil {
		l = &historyLoad{}
		b.history[args] = l
	}
	return l
}

// loadedTogether makes distinct products one batch.
func loadedTogether(products []*Product) {
	b := &batch{ids: make([]uuid.UUID, len(products))}
	for i, p := range products {
		p.batch, b.ids[i] = b, p.ID
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
