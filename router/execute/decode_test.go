package execute

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decodeJSON must read exactly what encoding/json (with UseNumber) reads,
// and refuse what it refuses.
func checkLikeEncodingJSON(t *testing.T, in string) {
	t.Helper()
	var want any
	dec := json.NewDecoder(bytes.NewReader([]byte(in)))
	dec.UseNumber()
	werr := dec.Decode(&want)
	if werr == nil && dec.More() {
		werr = errTrailing
	}
	if werr == nil {
		// encoding/json accepts trailing whitespace only.
		var rest bytes.Buffer
		_, _ = rest.ReadFrom(dec.Buffered())
		if len(bytes.TrimSpace(rest.Bytes())) > 0 {
			werr = errTrailing
		}
	}
	got, gerr := decodeJSON([]byte(in))
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: encoding/json err %v, decodeJSON err %v", in, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(normalizeTree(got), normalizeTree(want)) {
		t.Fatalf("%q:\n got  %#v\n want %#v", in, got, want)
	}
}

var errTrailing = &json.SyntaxError{}

// normalizeTree makes empty slices and maps comparable across decoders.
func normalizeTree(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalizeTree(e)
		}
	case []any:
		if len(v) == 0 {
			return []any{}
		}
		for i, e := range v {
			v[i] = normalizeTree(e)
		}
	}
	return v
}

var decodeSeeds = []string{
	`{"data":{"a":1,"b":[true,false,null],"c":"x"}}`,
	`{"data":{"n":-0.5e+10,"big":12345678901234567890123,"z":0}}`,
	`{"s":"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \ud800 \udc00x"}`,
	`{"s":"raw é 😀"}`, "\"bad \xff utf8\"", `[]`, `{}`, `  {"a" : [ 1 , 2 ] }  `,
	`{"dup":1,"dup":2}`, `"only a string"`, `42`,
	`{`, `{"a"}`, `{"a":}`, `[1,]`, `{"a":1,}`, `01`, `-`, `1.`, `1e`, `.5`, `tru`, `nul`, `"unterminated`,
	"\"ctl \x01\"", `"\x"`, `"\u12"`, `{"a":1} x`, `[1 2]`, `{"a" 1}`, ``,
}

func TestDecodeLikeEncodingJSON(t *testing.T) {
	for _, in := range decodeSeeds {
		checkLikeEncodingJSON(t, in)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { checkLikeEncodingJSON(t, in) })
}

func BenchmarkDecodeResponse(b *testing.B) {
	var items []any
	for i := range 50 {
		items = append(items, map[string]any{"__typename": "Product", "id": i, "name": "Product name", "price": 12.5, "inStock": true,
			"reviews": []any{map[string]any{"id": i, "body": "A review body with some words in it", "author": map[string]any{"id": i, "name": "Someone"}}}})
	}
	raw, _ := json.Marshal(map[string]any{"data": map[string]any{"_entities": items}})
	b.Run("decodeResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeResponse(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out subgraphResponse
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
