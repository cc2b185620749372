package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// requestInfo is what the layers of one request learn, for the access log.
type requestInfo struct {
	operation, opType string
	outcome, code     string
}

type infoKey struct{}

func info(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{} // not logged: a throwaway
}

// accessLog writes one structured line per GraphQL request: operation,
// outcome, status, duration, request id. It logs no tokens, variables,
// documents, addresses or user ids: nothing personal and nothing secret.
func (g *gateway) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
		if !g.cfg.AccessLog {
			return
		}
		level := slog.LevelInfo
		if ww.Status() >= 500 {
			level = slog.LevelError
		}
		g.log.LogAttrs(r.Context(), level, "graphql request",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("method", r.Method),
			slog.String("operation", ri.operation),
			slog.String("type", ri.opType),
			slog.String("outcome", ri.outcome),
			slog.String("code", ri.code),
			slog.Int("status", ww.Status()),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Duration("duration", time.Since(start)),
			slog.String("proto", r.Proto),
		)
	})
}
