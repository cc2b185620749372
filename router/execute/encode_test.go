package execute

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	obj := &Object{}
	obj.set("s", "quote\" back\\ nl\n tab\t ctl\x01 html<>& uni é 😀 sep\u2028 bad\xff")
	obj.set("n", json.Number("12.50"))
	obj.set("b", true)
	obj.set("nil", nil)
	inner := &Object{}
	inner.set("x", []any{1.5, "y", nil, false})
	obj.set("o", inner)
	resp := &Response{Data: obj, Errors: []Error{{Message: "m", Path: []any{"o", 0}}}}

	got, err := AppendJSON(nil, resp)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(resp)
	// Both must decode to the same value, and ours must be valid JSON.
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	_ = json.Unmarshal(want, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if string(got[:len(`{"data":{"s"`)]) != `{"data":{"s"` {
		t.Fatalf("key order lost: %s", got)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	leaf := &Object{}
	leaf.set("id", "1")
	leaf.set("name", "Table")
	var nest any = leaf
	for range 6 {
		o := &Object{}
		o.set("items", []any{nest, nest, nest})
		nest = o
	}
	resp := &Response{Data: nest}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendJSON(buf[:0], resp)
	}
}
