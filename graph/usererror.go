package graph

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// UserErrorCode is the stable code of a UserError (see shared.graphqls).
type UserErrorCode string

// The codes of shared.graphqls; keep the two lists in step.
const (
	CodeInvalidInput       UserErrorCode = "INVALID_INPUT"
	CodeNotFound           UserErrorCode = "NOT_FOUND"
	CodeAlreadyExists      UserErrorCode = "ALREADY_EXISTS"
	CodeConflict           UserErrorCode = "CONFLICT"
	CodeInvalidCurrency    UserErrorCode = "INVALID_CURRENCY"
	CodeInsufficientStock  UserErrorCode = "INSUFFICIENT_STOCK"
	CodeStockBelowReserved UserErrorCode = "STOCK_BELOW_RESERVED"
	CodeInvalidEmail       UserErrorCode = "INVALID_EMAIL"
	CodeEmailTaken         UserErrorCode = "EMAIL_TAKEN"
	CodeWeakPassword       UserErrorCode = "WEAK_PASSWORD"
	CodeInvalidCredentials UserErrorCode = "INVALID_CREDENTIALS"
	CodeRateLimited        UserErrorCode = "RATE_LIMITED"
	CodeBusy               UserErrorCode = "BUSY"
	CodeInvalidToken       UserErrorCode = "INVALID_TOKEN"
	CodeTokenExpired       UserErrorCode = "TOKEN_EXPIRED"
	CodeTokenReused        UserErrorCode = "TOKEN_REUSED"
	CodeCartEmpty          UserErrorCode = "CART_EMPTY"
	CodeProductUnavailable UserErrorCode = "PRODUCT_UNAVAILABLE"
	CodePaymentDeclined    UserErrorCode = "PAYMENT_DECLINED"
)

// MarshalGQL implements graphql.Marshaler.
func (c UserErrorCode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (c *UserErrorCode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("UserErrorCode must be a string")
	}
	*c = UserErrorCode(s)
	return nil
}

// UserError is an expected failure of a mutation, reported in its payload.
// It also implements error so that domain code can return it and a resolver
// can turn it into the payload's userErrors with UserErrorsFrom.
type UserError struct {
	Code    UserErrorCode `json:"code"`
	Field   []string      `json:"field"`
	Message string        `json:"message"`
}

func (e *UserError) Error() string { return string(e.Code) + ": " + e.Message }

// NewUserError builds a UserError for the input field at path.
func NewUserError(code UserErrorCode, message string, path ...string) *UserError {
	return &UserError{Code: code, Message: message, Field: path}
}

// UserErrors is several UserErrors at once, e.g. every invalid field of a form.
type UserErrors []*UserError

func (es UserErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// UserErrorsFrom splits a domain error into the userErrors of a mutation
// payload (returned first) and a fault for the GraphQL errors (returned
// second). At most one of the two is non-nil.
func UserErrorsFrom(err error) ([]*UserError, error) {
	if err == nil {
		return []*UserError{}, nil
	}
	var one *UserError
	var many UserErrors
	switch {
	case errors.As(err, &many):
		return many, nil
	case errors.As(err, &one):
		return []*UserError{one}, nil
	}
	return nil, err
}

// Outcome is what a mutation payload carries of a domain change's result:
// the changed value (nil once the change was refused) and the user errors;
// any other error fails the field instead.
func Outcome[T any](v *T, err error) (*T, []*UserError, error) {
	ues, err := UserErrorsFrom(err)
	if err != nil {
		return nil, nil, err
	}
	if len(ues) > 0 {
		v = nil
	}
	return v, ues, nil
}
