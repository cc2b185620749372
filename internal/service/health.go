package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Check reports whether one dependency (a database, a downstream service) is usable.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// checkTimeout bounds each readiness check so that a hung dependency makes the
// probe fail rather than hang the kubelet.
const checkTimeout = 2 * time.Second

// Liveness answers 200 while the process can serve HTTP at all. It deliberately
// checks no dependency: a database outage must not make Kubernetes restart every pod.
func Liveness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Readiness runs every check concurrently and answers 200 only when all pass,
// 503 otherwise, with a per-check "ok" or "failing" in the body. The errors
// themselves (host names, users, database names) go to the log, not to the
// unauthenticated admin port.
func Readiness(checks ...Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
		defer cancel()
		results := make(map[string]string, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		ok := true
		for _, c := range checks {
			wg.Go(func() {
				err := c.Func(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					ok = false
					results[c.Name] = "failing"
					slog.WarnContext(ctx, "readiness check failed", "check", c.Name, "err", err)
					return
				}
				results[c.Name] = "ok"
			})
		}
		wg.Wait()
		status, code := "ok", http.StatusOK
		if !ok {
			status, code = "unavailable", http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]any{"status": status, "checks": results})
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
