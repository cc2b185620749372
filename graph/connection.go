package graph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// PageInfo is the Relay page state of a connection.
type PageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

// Page limits of every connection: a client that asks for nothing gets
// DefaultPageSize items; nobody gets more than MaxPageSize in one page.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ErrInvalidCursor is returned for a cursor this server did not issue.
var ErrInvalidCursor = fmt.Errorf("invalid cursor")

// EncodeCursor makes an opaque cursor from a keyset position (the sort key
// values of the last row seen). Clients must treat it as an opaque string.
func EncodeCursor(position any) string {
	b, err := json.Marshal(position)
	if err != nil {
		// Positions are plain structs of scalars; failing here is a programming error.
		panic(fmt.Sprintf("graph: encode cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into position.
func DecodeCursor(cursor string, position any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return ErrInvalidCursor
	}
	if err := json.Unmarshal(b, position); err != nil {
		return ErrInvalidCursor
	}
	return nil
}

// PageSize validates a connection's `first` argument.
func PageSize(first *int) (int, error) {
	if first == nil {
		return DefaultPageSize, nil
	}
	if *first < 0 || *first > MaxPageSize {
		return 0, fmt.Errorf("first must be between 0 and %d", MaxPageSize)
	}
	return *first, nil
}

// Paginate trims rows, fetched with a limit of size+1, to one page and
// computes its PageInfo. The extra row only tells whether a next page exists.
// afterGiven reports whether the client passed a cursor (so a previous page exists).
func Paginate[T any](rows []T, size int, afterGiven bool, cursor func(T) string) ([]T, []string, PageInfo) {
	pi := PageInfo{HasPreviousPage: afterGiven}
	if len(rows) > size {
		rows, pi.HasNextPage = rows[:size], true
	}
	cursors := make([]string, len(rows))
	for i, r := range rows {
		cursors[i] = cursor(r)
	}
	if len(cursors) > 0 {
		pi.StartCursor, pi.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
	return rows, cursors, pi
}
