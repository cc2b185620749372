package graph

import (
	"errors"
	"strconv"
	"testing"
)

func TestCursorRoundTrip(t *testing.T) {
	type pos struct {
		Price int64  `json:"p"`
		ID    string `json:"i"`
	}
	c := EncodeCursor(pos{1299, "a"})
	var got pos
	if err := DecodeCursor(c, &got); err != nil || got != (pos{1299, "a"}) {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for _, bad := range []string{"%%%", "bm90LWpzb24", ""} {
		if err := DecodeCursor(bad, &got); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("DecodeCursor(%q) = %v, want ErrInvalidCursor", bad, err)
		}
	}
}

func TestPaginate(t *testing.T) {
	cursor := func(i int) string { return strconv.Itoa(i) }
	rows, cursors, pi := Paginate([]int{1, 2, 3}, 2, false, cursor)
	if len(rows) != 2 || !pi.HasNextPage || pi.HasPreviousPage || *pi.StartCursor != "1" || *pi.EndCursor != "2" || len(cursors) != 2 {
		t.Fatalf("full page: rows %v info %+v", rows, pi)
	}
	rows, _, pi = Paginate([]int{3}, 2, true, cursor)
	if len(rows) != 1 || pi.HasNextPage || !pi.HasPreviousPage {
		t.Fatalf("last page: rows %v info %+v", rows, pi)
	}
	_, _, pi = Paginate([]int{}, 2, true, cursor)
	if pi.StartCursor != nil || pi.EndCursor != nil {
		t.Fatalf("empty page has cursors: %+v", pi)
	}
}

func TestPageSize(t *testing.T) {
	neg, big, ok := -1, MaxPageSize+1, 5
	if n, err := PageSize(nil); err != nil || n != DefaultPageSize {
		t.Errorf("nil: %d %v", n, err)
	}
	if n, err := PageSize(&ok); err != nil || n != 5 {
		t.Errorf("5: %d %v", n, err)
	}
	for _, bad := range []*int{&neg, &big} {
		if _, err := PageSize(bad); err == nil {
			t.Errorf("PageSize(%d) accepted", *bad)
		}
	}
}
