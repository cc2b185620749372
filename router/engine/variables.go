package engine

import (
	"errors"

	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/virtual-store/virtual-store/internal/errcode"
)

// coerce checks the request's variables against the operation's
// definitions and returns them coerced to their types.
func (e *Engine) coerce(cp *cachedPlan, raw map[string]any) (map[string]any, error) {
	vars, err := validator.VariableValues(e.API.Schema, cp.opDef, raw)
	if err != nil {
		var gerr *gqlerror.Error
		if !errors.As(err, &gerr) {
			gerr = gqlerror.Errorf("%s", err)
		}
		return nil, &RequestError{Code: errcode.BadUserInput, Errors: gqlerror.List{gerr}}
	}
	return vars, nil
}
