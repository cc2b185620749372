package persisted

import (
	"container/list"
	"sync"
)

// byteLRU keeps registered documents up to a total size in bytes, evicting
// the least recently used: a count of entries would let 10,000 documents of
// any size in, so the bound must be on what they weigh.
type byteLRU struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type entry struct{ hash, doc string }

func newByteLRU(maxBytes int) *byteLRU {
	return &byteLRU{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

func weight(hash, doc string) int { return len(hash) + len(doc) }

// Get returns the document registered under hash, marking it used.
func (c *byteLRU) Get(hash string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[hash]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(el)
	return el.Value.(entry).doc, true
}

// Add registers doc under hash; a document larger than the whole cache is
// not kept.
func (c *byteLRU) Add(hash, doc string) {
	w := weight(hash, doc)
	if w > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[hash]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[hash] = c.order.PushFront(entry{hash, doc})
	c.size += w
	for c.size > c.max {
		last := c.order.Back()
		e := last.Value.(entry)
		c.order.Remove(last)
		delete(c.items, e.hash)
		c.size -= weight(e.hash, e.doc)
	}
}

// Bytes is what the cache holds.
func (c *byteLRU) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
