package graph

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// cursorPosition has the fields of the subgraphs' keyset positions: the
// product listing's (sort, id, text, time, int, float) and the order
// list's (time, id), with the same JSON tags.
type cursorPosition struct {
	Sort  string    `json:"s"`
	ID    uuid.UUID `json:"id"`
	Text  string    `json:"t,omitempty"`
	Time  time.Time `json:"tm,omitzero"`
	Int   int64     `json:"n,omitempty"`
	Float float64   `json:"f,omitempty"`
}

func (p cursorPosition) equal(o cursorPosition) bool {
	return p.Sort == o.Sort && p.ID == o.ID && p.Text == o.Text && p.Time.Equal(o.Time) && p.Int == o.Int && p.Float == o.Float
}

// FuzzCursor checks Relay cursors both ways. Any client string either
// decodes or fails with exactly ErrInvalidCursor, and a decoded position
// re-encodes to a canonical cursor that decodes to the same position. Any
// position the subgraphs can produce encodes to a URL-safe cursor that
// decodes back to it.
func FuzzCursor(f *testing.F) {
	id := uuid.MustParse("0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f901234")
	f.Add(EncodeCursor(cursorPosition{Sort: "PRICE_ASC", ID: id, Int: 1299}), "NAME", id[:], "Lamp", int64(1764000000), int64(5), int64(0), 0.5)
	f.Add(EncodeCursor(cursorPosition{Sort: "NEWEST", ID: id, Time: time.Unix(1764000000, 123456789).UTC()}), "", []byte{}, "", int64(0), int64(0), int64(-1), 0.0)
	f.Add(EncodeCursor(map[string]any{"t": "2026-11-25T13:00:00Z", "i": id}), "RELEVANCE", id[:4], "é😀", int64(-62135596800), int64(0), int64(math.MaxInt64), math.SmallestNonzeroFloat64)
	for _, bad := range []string{"", "%%%", "bm90LWpzb24", "e30", "eyJzIjoxfQ", "eyJ0bSI6IngifQ", "eyJpZCI6IjEifQ==", `{"$gt":""}`, "'; DROP TABLE products; --"} {
		f.Add(bad, "NAME", []byte{}, "", int64(0), int64(0), int64(0), 0.0)
	}
	f.Fuzz(func(t *testing.T, cursor, sort string, idBytes []byte, text string, unix, nanos, n int64, fl float64) {
		var p cursorPosition
		if err := DecodeCursor(cursor, &p); err != nil {
			if err != ErrInvalidCursor { // exactly this one: no decoder detail reaches a client
				t.Fatalf("DecodeCursor(%q) = %v, want ErrInvalidCursor", cursor, err)
			}
		} else {
			canonical := EncodeCursor(p)
			var again cursorPosition
			if err := DecodeCursor(canonical, &again); err != nil || !again.equal(p) || EncodeCursor(again) != canonical {
				t.Fatalf("%q decodes to %+v, re-encoded %q decodes to %+v (%v)", cursor, p, canonical, again, err)
			}
		}

		// A position as the subgraphs make one: texts from PostgreSQL
		// (valid UTF-8), times of rows (years 1-9999), finite ranks.
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			return
		}
		var pid uuid.UUID
		copy(pid[:], idBytes)
		const minUnix, maxUnix = -62135596800, 253402300799 // 0001-01-01 .. 9999-12-31
		pos := cursorPosition{
			Sort: strings.ToValidUTF8(sort, "?"), ID: pid, Text: strings.ToValidUTF8(text, "?"),
			Time: time.Unix(minUnix+(unix%(maxUnix-minUnix)+(maxUnix-minUnix))%(maxUnix-minUnix), (nanos%1e9+1e9)%1e9).UTC(),
			Int:  n, Float: fl,
		}
		c := EncodeCursor(pos)
		if strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" || !utf8.ValidString(c) {
			t.Fatalf("cursor %q is not URL-safe", c)
		}
		var back cursorPosition
		if err := DecodeCursor(c, &back); err != nil || !back.equal(pos) {
			t.Fatalf("%+v encodes to %q, which decodes to %+v (%v)", pos, c, back, err)
		}
	})
}
