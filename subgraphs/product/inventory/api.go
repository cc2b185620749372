package inventory

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/errcode"
)

// The internal HTTP API the order service uses to hold stock during checkout.
// It is not part of the public graph: the router never routes to it, and the
// product service serves it to the order service's certificate only.
//
//	POST /internal/v1/reservations                   reserve (201 new, 200 repeated)
//	GET  /internal/v1/reservations/{orderId}         read
//	POST /internal/v1/reservations/{orderId}/commit  commit (idempotent)
//	POST /internal/v1/reservations/{orderId}/release release (idempotent)
//	POST /internal/v1/reservations/{orderId}/return  restock a committed one (idempotent)
//	POST /internal/v1/quotes                         prices and availability for a cart
//
// Errors are JSON: {"error": {"code": "INSUFFICIENT_STOCK", "message": "...", "shortages": [...]}}
// with 400 (malformed), 403 (CALLER_NOT_ALLOWED), 404, 409 (stock, conflicting state), 422 (invalid).

// ReserveRequest is the body of POST /reservations.
type ReserveRequest struct {
	OrderID  string `json:"orderId"`
	Currency string `json:"currency"`
	Lines    []Line `json:"lines"`
	// TTLSeconds overrides the default hold time (0 = default).
	TTLSeconds int `json:"ttlSeconds,omitempty"`
}

// APIError is the error body of the internal API.
type APIError struct {
	Code      string     `json:"code"`
	Message   string     `json:"message"`
	Shortages []Shortage `json:"shortages,omitempty"`
}

// maxBody caps request bodies: 100 lines of JSON fit in a few kilobytes.
const maxBody = 64 << 10

// Handler returns the internal API. Who may call it is the caller's concern
// (the product service mounts it behind pki.Only for the order service).
func (inv *Inventory) Handler(log *slog.Logger) http.Handler {
	r := chi.NewRouter()
	r.Post("/reservations", func(w http.ResponseWriter, r *http.Request) {
		var req ReserveRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, APIError{Code: "MALFORMED_REQUEST", Message: "body must be a JSON reservation request: " + err.Error()})
			return
		}
		res, created, err := inv.Reserve(r.Context(), req.OrderID, req.Currency, req.Lines, time.Duration(req.TTLSeconds)*time.Second)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		code := http.StatusOK
		if created {
			code = http.StatusCreated
		}
		writeJSON(w, code, res)
	})
	r.Get("/reservations/{orderID}", func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, log)(inv.Get(r.Context(), chi.URLParam(r, "orderID")))
	})
	r.Post("/reservations/{orderID}/commit", func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, log)(inv.Commit(r.Context(), chi.URLParam(r, "orderID")))
	})
	r.Post("/reservations/{orderID}/release", func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, log)(inv.Release(r.Context(), chi.URLParam(r, "orderID")))
	})
	r.Post("/reservations/{orderID}/return", func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, log)(inv.Return(r.Context(), chi.URLParam(r, "orderID")))
	})
	r.Post("/quotes", func(w http.ResponseWriter, r *http.Request) {
		var req QuoteRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, APIError{Code: "MALFORMED_REQUEST", Message: "body must be a JSON quote request: " + err.Error()})
			return
		}
		quotes, err := inv.Quote(r.Context(), req.Currency, req.ProductIDs)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"quotes": quotes})
	})
	return r
}

// QuoteRequest is the body of POST /quotes.
type QuoteRequest struct {
	Currency   string      `json:"currency"`
	ProductIDs []uuid.UUID `json:"productIds"`
}

func respond(w http.ResponseWriter, r *http.Request, log *slog.Logger) func(Reservation, error) {
	return func(res Reservation, err error) {
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var short *InsufficientStockError
	switch {
	case errors.As(err, &short):
		writeJSON(w, http.StatusConflict, APIError{Code: "INSUFFICIENT_STOCK", Message: err.Error(), Shortages: short.Shortages})
	case errors.Is(err, ErrConflict):
		writeJSON(w, http.StatusConflict, APIError{Code: "CONFLICT", Message: err.Error()})
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound, APIError{Code: errcode.NotFound, Message: err.Error()})
	case errors.Is(err, ErrInvalid):
		writeJSON(w, http.StatusUnprocessableEntity, APIError{Code: "INVALID_REQUEST", Message: err.Error()})
	case errors.Is(err, ErrProductNotFound):
		writeJSON(w, http.StatusUnprocessableEntity, APIError{Code: "PRODUCT_NOT_FOUND", Message: err.Error()})
	case errors.Is(err, ErrProductUnavailable):
		writeJSON(w, http.StatusUnprocessableEntity, APIError{Code: "PRODUCT_UNAVAILABLE", Message: err.Error()})
	default:
		log.ErrorContext(r.Context(), "internal API failed", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, APIError{Code: "INTERNAL", Message: "internal error"})
	}
}

// RefuseCaller answers a service that may not call the API (pki.Only).
func RefuseCaller(w http.ResponseWriter, _ *http.Request, msg string) {
	writeJSON(w, http.StatusForbidden, APIError{Code: errcode.CallerNotAllowed, Message: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if e, ok := v.(APIError); ok {
		v = map[string]APIError{"error": e}
	}
	_ = json.NewEncoder(w).Encode(v)
}
