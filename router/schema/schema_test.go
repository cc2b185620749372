package schema

import (
	"os"
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/router/supergraph"
)

func TestAPISchemaHidesMachineryAndInaccessible(t *testing.T) {
	b, err := os.ReadFile("../supergraph/testdata/small.graphql")
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	api, err := FromSupergraph(sg)
	if err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{"join__", "link__", "@join", "secret", "@inaccessible"} {
		if strings.Contains(api.SDL, hidden) {
			t.Errorf("API schema shows %q:\n%s", hidden, api.SDL)
		}
	}
	for _, kept := range []string{"me: User", "reviewCount: Int", "union Thing = User", "BLUE"} {
		if !strings.Contains(api.SDL, kept) {
			t.Errorf("API schema lacks %q:\n%s", kept, api.SDL)
		}
	}
}
