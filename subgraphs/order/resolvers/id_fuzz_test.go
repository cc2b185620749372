package resolvers

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/errcode"
)

// FuzzParseID checks the order subgraph's ID arguments (productId, order
// ids). A refused id is BAD_USER_INPUT naming the argument, never echoing
// the client's text. An accepted one is one of the UUID spellings (36
// characters, 32 hex digits, {braces} or urn:uuid:) whose hex digits, in
// order, are the id's, and its canonical form parses to the same id: no
// other text (a query operator, SQL) ever becomes an id.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f901234", "0B7C4E1A-9F3D-4C2E-8A5B-6D7E8F901234", "{0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f901234}",
		"urn:uuid:0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f901234", "0b7c4e1a9f3d4c2e8a5b6d7e8f901234", "00000000-0000-0000-0000-000000000000",
		"", "not-a-uuid", "0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f90123", "0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f9012345", "0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f90123g",
		`{"$gt": ""}`, "'; DROP TABLE orders; --", "0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f901234\x00", " 0b7c4e1a-9f3d-4c2e-8a5b-6d7e8f901234",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseID(s, "productId")
		if err != nil {
			var ce *graph.CodedError
			if !errors.As(err, &ce) || ce.Code != errcode.BadUserInput || ce.Message != "productId is not a valid id" {
				t.Fatalf("parseID(%q) = %v, want BAD_USER_INPUT about productId", s, err)
			}
			return
		}
		spelling := s
		switch len(s) {
		case 36, 32:
		case 38:
			if s[0] != '{' || s[37] != '}' {
				t.Fatalf("accepted %q as %s: 38 characters, but not a UUID in braces", s, u)
			}
			spelling = s[1:37]
		case 45:
			if !strings.EqualFold(s[:9], "urn:uuid:") {
				t.Fatalf("accepted %q as %s: 45 characters, but not a urn:uuid:", s, u)
			}
			spelling = s[9:]
		default:
			t.Fatalf("accepted %q (%d characters) as %s", s, len(s), u)
		}
		if got, want := strings.ToLower(strings.ReplaceAll(spelling, "-", "")), strings.ReplaceAll(u.String(), "-", ""); got != want {
			t.Fatalf("accepted %q as %s", s, u)
		}
		if again, err := parseID(u.String(), "productId"); err != nil || again != u || uuid.MustParse(u.String()) != u {
			t.Fatalf("canonical %s of %q parses to %s (%v)", u, s, again, err)
		}
	})
}
