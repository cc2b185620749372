package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/virtual-store/virtual-store/internal/errcode"
)

// CodedError is an error whose message is safe to show to the client, with a
// stable code. Any other error a resolver returns is logged and masked.
type CodedError struct {
	Code    string
	Message string
}

func (e *CodedError) Error() string { return e.Message }

// Unauthenticated is returned when a field needs a signed-in caller.
func Unauthenticated() error {
	return &CodedError{Code: errcode.Unauthenticated, Message: "authentication required"}
}

// Forbidden is returned when the caller lacks the right to a field.
func Forbidden(what string) error {
	return &CodedError{Code: errcode.Forbidden, Message: "not allowed: " + what}
}

// NotFound is returned for a thing asked for by id that does not exist, or
// that the caller may not know exists.
func NotFound(what string) error {
	return &CodedError{Code: errcode.NotFound, Message: "no such " + what}
}

// BadUserInput is returned for arguments that fail validation outside a mutation payload.
func BadUserInput(format string, args ...any) error {
	return &CodedError{Code: errcode.BadUserInput, Message: fmt.Sprintf(format, args...)}
}

// ErrorPresenter turns resolver errors into GraphQL errors with a stable
// extensions.code. Errors the server did not mean to show (database faults,
// bugs) are logged with their path and replaced by a generic message, so no
// internals (SQL, hashes, stack traces) ever reach a client.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var coded *CodedError
		if errors.As(err, &coded) {
			gerr := graphql.DefaultErrorPresenter(ctx, err)
			gerr.Message = coded.Message
			setCode(gerr, coded.Code)
			return gerr
		}
		if gerr, ok := err.(*gqlerror.Error); ok && (gerr.Err == nil || isArgumentError(ctx, gerr)) {
			// Made by gqlgen itself while coercing arguments: the message
			// describes the client's input and is safe to return.
			if gerr.Path == nil {
				gerr.Path = graphql.GetPath(ctx)
			}
			setCode(gerr, errcode.BadUserInput)
			return gerr
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			log.WarnContext(ctx, "resolver interrupted", "path", graphql.GetPath(ctx).String(), "err", err)
		} else {
			log.ErrorContext(ctx, "resolver failed", "path", graphql.GetPath(ctx).String(), "err", err)
		}
		return &gqlerror.Error{
			Message:    "internal server error",
			Path:       graphql.GetPath(ctx),
			Extensions: map[string]any{"code": errcode.Internal},
		}
	}
}

// RecoverFunc logs a resolver panic with its stack and answers with a masked error.
func RecoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return &gqlerror.Error{Message: "internal server error", Extensions: map[string]any{"code": errcode.Internal}}
	}
}

// isArgumentError tells an error from coercing a field's arguments (gqlgen
// reports it at a path below the field: the argument's name) from an error
// the field's resolver returned (reported at the field's own path).
func isArgumentError(ctx context.Context, e *gqlerror.Error) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && len(e.Path) > len(fc.Path())
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	if _, ok := e.Extensions["code"]; !ok {
		e.Extensions["code"] = code
	}
}

// RefuseCaller answers a GraphQL request from a service that may not call
// this subgraph (pki.Only): 403 with one CALLER_NOT_ALLOWED error.
func RefuseCaller(w http.ResponseWriter, _ *http.Request, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]string{"code": errcode.CallerNotAllowed}}}})
}
