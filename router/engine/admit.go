package engine

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/errcode"
)

// admit decides, once the operation is known and before its variables are
// read, whether this request may run it at all: introspection when it is
// off, the request's Guard (IP allow-lists), mutations over GET (a
// subscription over GET is an EventSource's: it changes nothing).
func (e *Engine) admit(req *Request, cp *cachedPlan) error {
	if req.Observe != nil {
		req.Observe(cp.opDef.Name, string(cp.opDef.Operation))
	}
	if e.noIntrospection && slices.ContainsFunc(cp.roots, func(f string) bool {
		return strings.HasSuffix(f, ".__schema") || strings.HasSuffix(f, ".__type")
	}) {
		return Refuse(errcode.IntrospectionDisabled, "introspection is disabled on this router")
	}
	if req.Guard != nil {
		if gerr := req.Guard(cp.opDef.Name, cp.roots); gerr != nil {
			return gerr
		}
	}
	if req.ReadOnly && cp.opDef.Operation == ast.Mutation {
		return Refuse(errcode.BadRequest, "%s operations need POST", cp.opDef.Operation)
	}
	return nil
}
