package inventory_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

func TestInternalAPI(t *testing.T) {
	srv := httptest.NewServer(inv.Handler(gqltest.Quiet()))
	defer srv.Close()
	a := newProduct(t, 2, 1250)
	id := orderID()

	call := func(method, path string, body any) (int, map[string]any) {
		t.Helper()
		var buf bytes.Buffer
		if s, ok := body.(string); ok {
			buf.WriteString(s)
		} else if body != nil {
			_ = json.NewEncoder(&buf).Encode(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, &buf)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	errCode := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		s, _ := e["code"].(string)
		return s
	}
	reserve := map[string]any{"orderId": id, "currency": "EUR", "lines": []map[string]any{{"productId": a, "quantity": 2}}}

	code, out := call("POST", "/reservations", reserve)
	if code != http.StatusCreated || out["status"] != "ACTIVE" {
		t.Fatalf("reserve: %d %v", code, out)
	}
	line := out["lines"].([]any)[0].(map[string]any)
	if price := line["unitPrice"].(map[string]any); price["amount"] != 1250.0 || price["currency"] != "EUR" {
		t.Fatalf("unit price = %v", price)
	}
	if code, _ := call("POST", "/reservations", reserve); code != http.StatusOK {
		t.Fatalf("repeat reserve: %d, want 200", code)
	}
	other := map[string]any{"orderId": orderID(), "currency": "EUR", "lines": []map[string]any{{"productId": a, "quantity": 1}}}
	if code, out := call("POST", "/reservations", other); code != http.StatusConflict || errCode(out) != "INSUFFICIENT_STOCK" || out["error"].(map[string]any)["shortages"] == nil {
		t.Fatalf("no stock left: %d %v", code, out)
	}
	if code, out := call("POST", "/reservations", `{"orderId": 1`); code != http.StatusBadRequest || errCode(out) != "MALFORMED_REQUEST" {
		t.Fatalf("malformed: %d %v", code, out)
	}
	if code, out := call("POST", "/reservations", `{"orderId":"x","currency":"EUR","lines":[],"extra":1}`); code != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %v", code, out)
	}
	if code, out := call("POST", "/reservations", map[string]any{"orderId": "x", "currency": "EUR", "lines": []any{}}); code != http.StatusUnprocessableEntity || errCode(out) != "INVALID_REQUEST" {
		t.Fatalf("no lines: %d %v", code, out)
	}
	unknown := map[string]any{"orderId": orderID(), "currency": "EUR", "lines": []map[string]any{{"productId": uuid.New(), "quantity": 1}}}
	if code, out := call("POST", "/reservations", unknown); code != http.StatusUnprocessableEntity || errCode(out) != "PRODUCT_NOT_FOUND" {
		t.Fatalf("unknown product: %d %v", code, out)
	}
	if code, out := call("GET", "/reservations/"+id, nil); code != http.StatusOK || out["orderId"] != id {
		t.Fatalf("get: %d %v", code, out)
	}
	if code, out := call("GET", "/reservations/nope", nil); code != http.StatusNotFound || errCode(out) != "NOT_FOUND" {
		t.Fatalf("get unknown: %d %v", code, out)
	}
	if code, out := call("POST", "/reservations/"+id+"/commit", nil); code != http.StatusOK || out["status"] != "COMMITTED" {
		t.Fatalf("commit: %d %v", code, out)
	}
	if code, out := call("POST", "/reservations/"+id+"/release", nil); code != http.StatusConflict || errCode(out) != "CONFLICT" {
		t.Fatalf("release after commit: %d %v", code, out)
	}
	wantLevel(t, a, 0, 0)
}
