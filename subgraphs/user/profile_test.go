package user_test

import (
	"testing"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/errcode"
)

func TestProfileAndAddresses(t *testing.T) {
	a := register(t, "profile")
	me := call{bearer: a.access}
	if got := anon.do(t, `mutation { updateProfile(input: {name: "X"}) { user { id } } }`, nil).Codes(); !codesAre(got, errcode.Unauthenticated) {
		t.Fatalf("anonymous update: %v", got)
	}
	r := me.do(t, `mutation { updateProfile(input: {name: " Ann Lee ", phone: "+49 30 1234567"}) { user { name phone } userErrors { code } } }`, nil)
	if r.Dig("updateProfile", "user", "name") != "Ann Lee" || r.Dig("updateProfile", "user", "phone") != "+49 30 1234567" {
		t.Fatalf("update profile: %v %+v", r.Data, r.Errors)
	}
	r = me.do(t, `mutation { updateProfile(input: {phone: "call me maybe"}) { user { phone } userErrors { code field } } }`, nil)
	if got := r.UserErrorCodes("updateProfile"); !codesAre(got, graph.CodeInvalidInput) {
		t.Fatalf("bad phone: %v", got)
	}

	add := `mutation($in: AddressInput!) { addAddress(input: $in) { user { addresses { id city isDefaultShipping } defaultShippingAddress { id } } userErrors { code field } } }`
	home := map[string]any{"label": "Home", "fullName": "Ann Lee", "line1": "Main St 1", "city": "Berlin", "postalCode": "10115", "country": "de"}
	r = me.do(t, add, map[string]any{"in": home})
	first := r.Dig("addAddress", "user", "addresses", 0, "id")
	if first == nil || r.Dig("addAddress", "user", "addresses", 0, "isDefaultShipping") != true {
		t.Fatalf("first address is not the default: %v %+v", r.Data, r.Errors)
	}
	office := map[string]any{"fullName": "Ann Lee", "line1": "Work Rd 5", "city": "Munich", "postalCode": "80331", "country": "DE", "makeDefault": true}
	r = me.do(t, add, map[string]any{"in": office})
	second := r.Dig("addAddress", "user", "addresses", 1, "id")
	if r.Dig("addAddress", "user", "defaultShippingAddress", "id") != second {
		t.Fatalf("makeDefault: %v", r.Data)
	}
	bad := map[string]any{"fullName": "", "line1": "x", "city": "x", "postalCode": "x", "country": "XX"}
	if got := me.do(t, add, map[string]any{"in": bad}).UserErrorCodes("addAddress"); len(got) != 2 || got[0] != string(graph.CodeInvalidInput) {
		t.Fatalf("invalid address: %v", got)
	}

	r = me.do(t, `mutation($id: ID!, $in: AddressInput!) { updateAddress(id: $id, input: $in) { user { addresses { id city } } userErrors { code } } }`,
		map[string]any{"id": first, "in": map[string]any{"fullName": "Ann Lee", "line1": "New St 2", "city": "Hamburg", "postalCode": "20095", "country": "DE"}})
	if r.Dig("updateAddress", "user", "addresses", 0, "city") != "Hamburg" {
		t.Fatalf("update address: %v %+v", r.Data, r.Errors)
	}
	r = me.do(t, `mutation($id: ID!) { setDefaultShippingAddress(id: $id) { user { defaultShippingAddress { id } } } }`, map[string]any{"id": first})
	if r.Dig("setDefaultShippingAddress", "user", "defaultShippingAddress", "id") != first {
		t.Fatalf("set default: %v", r.Data)
	}
	remove := `mutation($id: ID!) { removeAddress(id: $id) { user { addresses { id } defaultShippingAddress { id } } userErrors { code } } }`
	r = me.do(t, remove, map[string]any{"id": first})
	if r.Dig("removeAddress", "user", "defaultShippingAddress", "id") != second || len(r.Dig("removeAddress", "user", "addresses").([]any)) != 1 {
		t.Fatalf("removing the default moves it: %v", r.Data)
	}
	if got := me.do(t, remove, map[string]any{"id": first}).UserErrorCodes("removeAddress"); !codesAre(got, graph.CodeNotFound) {
		t.Fatalf("remove twice: %v", got)
	}
	if got := me.do(t, `mutation { setDefaultShippingAddress(id: "nope") { userErrors { code } } }`, nil).UserErrorCodes("setDefaultShippingAddress"); !codesAre(got, graph.CodeNotFound) {
		t.Fatalf("default unknown: %v", got)
	}
}
