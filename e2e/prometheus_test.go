package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
)

// promAPI is Prometheus' HTTP API.
type promAPI struct{ base string }

type sample struct {
	Metric map[string]string
	Value  [2]any // [unix seconds, "value"]
}

func (s sample) time() time.Time {
	f, _ := s.Value[0].(float64)
	return time.UnixMilli(int64(f * 1000))
}

// query runs an instant query at the current time: its series, or the
// error Prometheus answered.
func (a promAPI) query(expr string) ([]sample, error) {
	var r struct {
		Status    string
		ErrorType string
		Error     string
		Data      struct {
			ResultType string
			Result     json.RawMessage
		}
	}
	if err := a.get("api/v1/query", url.Values{"query": {expr}}, &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	switch r.Data.ResultType {
	case "vector":
		var out []sample
		err := json.Unmarshal(r.Data.Result, &out)
		return out, err
	case "scalar":
		var v [2]any
		err := json.Unmarshal(r.Data.Result, &v)
		return []sample{{Value: v}}, err
	default:
		return nil, fmt.Errorf("result type %s", r.Data.ResultType)
	}
}

func (a promAPI) get(path string, q url.Values, into any) error {
	u := a.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	resp, err := httpClient.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Errors (400, 422, 503) are JSON too: {"status": "error", "error": ...}.
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("%s (%s): %w", path, resp.Status, err)
	}
	return nil
}

// waitUntil polls ok until it holds, failing the test after within with
// ok's last word.
func waitUntil(t *testing.T, within time.Duration, what string, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done, state := ok()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, within, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
