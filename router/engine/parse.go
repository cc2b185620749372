package engine

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/virtual-store/virtual-store/internal/errcode"
)

// parse reads a document; its shape limits are checked before it is
// validated against the public schema.
func (e *Engine) parse(query string) (*ast.QueryDocument, error) {
	doc, perr := parser.ParseQuery(&ast.Source{Input: query})
	if perr != nil {
		return nil, &RequestError{Code: errcode.ParseFailed, Errors: gqlerror.List{perr.(*gqlerror.Error)}}
	}
	if err := e.checkShape(doc); err != nil {
		return nil, err
	}
	if errs := validator.ValidateWithRules(e.API.Schema, doc, rules.NewDefaultRules()); len(errs) > 0 {
		return nil, &RequestError{Code: errcode.ValidationFailed, Errors: errs}
	}
	return doc, nil
}

// pickOperation finds the operation to run: the one named, or the only one.
func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name == "" {
		if len(doc.Operations) != 1 {
			return nil, Refuse(errcode.ValidationFailed, "operationName is required when the document has several operations")
		}
		return doc.Operations[0], nil
	}
	if op := doc.Operations.ForName(name); op != nil {
		return op, nil
	}
	return nil, Refuse(errcode.ValidationFailed, "no operation named %q", name)
}

// rootFields names the root fields of op, through fragments, whatever
// @skip/@include say (a guard must not be dodged by a variable).
func rootFields(doc *ast.QueryDocument, ss ast.SelectionSet, root string, seen map[string]bool) []string {
	var out []string
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, root+"."+s.Name)
		case *ast.InlineFragment:
			out = append(out, rootFields(doc, s.SelectionSet, root, seen)...)
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
				if seen == nil {
					seen = map[string]bool{}
				}
				seen[s.Name] = true
				out = append(out, rootFields(doc, f.SelectionSet, root, seen)...)
			}
		}
	}
	return out
}
