package engine

import (
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/limits"
)

// checkSize refuses an oversized document before anything else, the plan
// cache lookup included: hashing a huge document is work already.
func (e *Engine) checkSize(query string) error {
	if n := e.limits.MaxDocumentBytes; n > 0 && len(query) > n {
		return Refuse(errcode.DocumentTooLarge, "the document has %d bytes; the limit is %d", len(query), n)
	}
	return nil
}

// checkSource counts the document's bytes and tokens, before it is parsed.
func (e *Engine) checkSource(query string) error {
	return refused(e.limits.CheckSource(query))
}

// checkShape measures every operation of a parsed document before it is
// validated: validating a hostile document is itself the expensive part.
func (e *Engine) checkShape(doc *ast.QueryDocument) error {
	for _, op := range doc.Operations {
		if err := refused(e.limits.CheckShape(doc, op)); err != nil {
			return err
		}
	}
	return nil
}

// checkCost estimates the operation's cost once its variables (list sizes)
// are known.
func (e *Engine) checkCost(cp *cachedPlan, vars map[string]any) error {
	return refused(e.limits.CheckCost(cp.opDef, vars))
}

// refused turns a crossed limit into a request error (nil stays nil, typed
// nil included).
func refused(lerr *limits.Error) error {
	if lerr == nil {
		return nil
	}
	return Refuse(lerr.Code, "%s", lerr.Message)
}
