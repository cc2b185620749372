package paymentgw

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// Chaos makes the gateway misbehave on purpose, for resilience tests.
type Chaos struct {
	// Latency is added to every payment and refund request, plus up to Jitter.
	Latency time.Duration
	Jitter  time.Duration
	// FailureRate is the share of requests refused with 503 before anything
	// is processed (safe to retry).
	FailureRate float64
	// TimeoutRate is the share of requests that are processed and recorded
	// but whose reply is lost (the connection is dropped): the client must
	// retry with the same key or look the outcome up.
	TimeoutRate float64
}

// merchantKey is the context key of the calling merchant.
type merchantKey struct{}

// WithMerchant returns ctx carrying the calling merchant: the name (in
// production the caller's mTLS identity, e.g. spiffe://virtual-store/order)
// its payments and refunds are filed under. Handler answers 401 to requests
// whose context carries none; an empty merchant counts as none.
func WithMerchant(ctx context.Context, merchant string) context.Context {
	return context.WithValue(ctx, merchantKey{}, merchant)
}

// merchantFrom returns the merchant WithMerchant put in ctx.
func merchantFrom(ctx context.Context) (string, bool) {
	m, _ := ctx.Value(merchantKey{}).(string)
	return m, m != ""
}

// Handler serves the gateway's REST API:
//
//	POST /v1/payments                          charge (Idempotency-Key required)
//	GET  /v1/payments/{id}                     read a payment
//	GET  /v1/payments/by-idempotency-key/{key} the outcome of a request whose reply was lost
//	POST /v1/payments/{id}/refunds             refund (Idempotency-Key required)
//	GET  /v1/totals                            ledger totals, for reconciliation
//
// With a non-empty apiKey, requests need "Authorization: Bearer <apiKey>".
// Every request must also come with a merchant in its context (WithMerchant,
// set by a middleware in front of this handler); without one it is answered
// 401. Each merchant sees only its own payments, refunds and totals.
func (g *Gateway) Handler(apiKey string, chaos Chaos, log *slog.Logger) http.Handler {
	r := chi.NewRouter()
	if apiKey != "" {
		r.Use(requireKey(apiKey))
	}
	r.Use(requireMerchant)
	r.With(chaos.middleware).Post("/payments", func(w http.ResponseWriter, r *http.Request) {
		var req PaymentRequest
		if !decode(w, r, &req) {
			return
		}
		p, err := g.CreatePayment(r.Context(), merchant(r), r.Header.Get("Idempotency-Key"), req)
		if err != nil {
			writeErr(w, r, log, err)
			return
		}
		log.InfoContext(r.Context(), "payment", "merchant", merchant(r), "id", p.ID, "reference", p.Reference, "status", p.Status, "amount", p.Amount, "currency", p.Currency)
		chaos.maybeLoseReply(w)
		writeJSON(w, p.httpStatus, p)
	})
	r.Get("/payments/by-idempotency-key/{key}", func(w http.ResponseWriter, r *http.Request) {
		p, err := g.PaymentByKey(r.Context(), merchant(r), chi.URLParam(r, "key"))
		if err != nil {
			writeErr(w, r, log, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	r.Get("/payments/{id}", func(w http.ResponseWriter, r *http.Request) {
		p, err := g.PaymentByID(r.Context(), merchant(r), chi.URLParam(r, "id"))
		if err != nil {
			writeErr(w, r, log, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	r.With(chaos.middleware).Post("/payments/{id}/refunds", func(w http.ResponseWriter, r *http.Request) {
		var req RefundRequest
		if r.ContentLength != 0 && !decode(w, r, &req) {
			return
		}
		ref, err := g.CreateRefund(r.Context(), merchant(r), chi.URLParam(r, "id"), r.Header.Get("Idempotency-Key"), req)
		if err != nil {
			writeErr(w, r, log, err)
			return
		}
		log.InfoContext(r.Context(), "refund", "merchant", merchant(r), "id", ref.ID, "payment", ref.PaymentID, "amount", ref.Amount)
		chaos.maybeLoseReply(w)
		writeJSON(w, http.StatusCreated, ref)
	})
	r.Get("/totals", func(w http.ResponseWriter, r *http.Request) {
		t, err := g.Totals(r.Context(), merchant(r))
		if err != nil {
			writeErr(w, r, log, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
	return r
}

// middleware adds latency and refuses a share of requests with 503.
func (c Chaos) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := c.Latency + time.Duration(rand.Int64N(int64(c.Jitter)+1)); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if c.FailureRate > 0 && rand.Float64() < c.FailureRate {
			writeJSON(w, http.StatusServiceUnavailable, map[string]*Error{"error": {Type: "api_error", Code: "service_unavailable", Message: "injected failure; retry"}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maybeLoseReply drops the connection after the outcome was recorded.
func (c Chaos) maybeLoseReply(w http.ResponseWriter) {
	if c.TimeoutRate > 0 && rand.Float64() < c.TimeoutRate {
		panic(http.ErrAbortHandler) // net/http closes the connection without a reply
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]*Error{"error": invalid("body_invalid", "body must be JSON: "+err.Error())})
		return false
	}
	return true
}

func writeErr(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	if errors.As(err, &e) {
		writeJSON(w, e.HTTPStatus, map[string]*Error{"error": e})
		return
	}
	log.ErrorContext(r.Context(), "payment gateway failed", "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]*Error{"error": {Type: "api_error", Code: "internal", Message: "internal error"}})
}

func requireKey(key string) func(http.Handler) http.Handler {
	want := []byte("Bearer " + key)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
				writeJSON(w, http.StatusUnauthorized, map[string]*Error{"error": {Type: "authentication_error", Code: "api_key_invalid", Message: "missing or wrong API key"}})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireMerchant answers 401 to a request that names no merchant: the
// gateway cannot tell whose ledger it would act on.
func requireMerchant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := merchantFrom(r.Context()); !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]*Error{"error": {Type: "authentication_error", Code: "merchant_unknown",
				Message: "the caller is not a known merchant (no client identity)"}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// merchant is the merchant of a request that passed requireMerchant.
func merchant(r *http.Request) string {
	m, _ := merchantFrom(r.Context())
	return m
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
