package engine

import (
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Request is a GraphQL request.
type Request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
	// ReadOnly refuses mutations (requests over GET, which browsers send
	// across sites without preflight).
	ReadOnly bool `json:"-"`
	// Guard, when set, may refuse the operation once its name and root
	// fields ("Mutation.createProduct") are known (IP allow-lists).
	Guard func(opName string, rootFields []string) *RequestError `json:"-"`
	// Observe, when set, is told the operation's name and type.
	Observe func(name, kind string) `json:"-"`
}

// RequestError is a request refused before execution, with its code
// (internal/errcode).
type RequestError struct {
	Code   string
	Errors gqlerror.List
}

// Refuse is a RequestError with one message.
func Refuse(code, format string, args ...any) *RequestError {
	return &RequestError{Code: code, Errors: gqlerror.List{gqlerror.Errorf(format, args...)}}
}

func (e *RequestError) Error() string { return e.Errors.Error() }
