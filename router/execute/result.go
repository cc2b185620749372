package execute

import (
	"bytes"
	"encoding/json"
)

// RawJSON is a value already written as JSON.
type RawJSON []byte

// MarshalJSON returns the JSON itself.
func (r RawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// Object is a JSON object that keeps the order of its keys: GraphQL responses
// list fields in the order the operation selected them.
type Object struct {
	keys []string
	vals []any
}

func (o *Object) set(k string, v any) {
	for i, existing := range o.keys {
		if existing == k {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// add appends a key known not to be there yet (completion's field groups
// have distinct response keys).
func (o *Object) add(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// Get returns the value of k (for tests and tools).
func (o *Object) Get(k string) (any, bool) {
	for i, existing := range o.keys {
		if existing == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// MarshalJSON writes the object with its keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Error is a GraphQL error in a response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Response is what the router answers.
type Response struct {
	// Data is the data as the executor completed it, already JSON (RawJSON),
	// or nil when null propagated to the root.
	Data   any     `json:"data"`
	Errors []Error `json:"errors,omitempty"`
}

// deepMerge copies src's fields into dst, merging nested objects and lists.
func deepMerge(dst, src map[string]any) {
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok || dv == nil {
			dst[k] = sv
			continue
		}
		switch d := dv.(type) {
		case map[string]any:
			if s, ok := sv.(map[string]any); ok {
				deepMerge(d, s)
				continue
			}
		case []any:
			if s, ok := sv.([]any); ok && len(s) == len(d) {
				for i := range d {
					dm, ok1 := d[i].(map[string]any)
					sm, ok2 := s[i].(map[string]any)
					if ok1 && ok2 {
						deepMerge(dm, sm)
					} else if d[i] == nil {
						d[i] = s[i]
					}
				}
				continue
			}
		}
		dst[k] = sv
	}
}
