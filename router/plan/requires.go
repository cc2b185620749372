package plan

import (
	"fmt"
	"hash/fnv"

	"github.com/vektah/gqlparser/v2/ast"
)

// requires plans the fields field's @requires (fieldSet) needs into f, on
// typeName at path, before field's entity fetch. It returns what f selects
// for them, what the representations carry, and the fetches the entity
// fetch must wait for: those planned, or planned earlier, to fetch them.
func (p *planning) requires(f *Fetch, typeName string, path []string, field *ast.Field, fieldSet ast.SelectionSet) (sel, rep []*Selection, after []int, err error) {
	snap := snapshot(f)
	required := aliasArgumentFields(fieldSet)
	sel, err = p.planSelections(f, typeName, path, required, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("plan the @requires of %s.%s: %w", typeName, field.Name, err)
	}
	after = snap.changedIDs(f)
	for _, provider := range providersOf(f, path, fieldSet) {
		after = append(after, provider.ID)
	}
	return sel, fromFieldSet(required), after, nil
}

// aliasArgumentFields gives the fields with arguments in a @requires field
// set a private alias, so that they cannot collide with the same field
// selected by the client with other arguments.
func aliasArgumentFields(ss ast.SelectionSet) ast.SelectionSet {
	out := make(ast.SelectionSet, len(ss))
	for i, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			c := *s
			if len(s.Arguments) > 0 {
				sum := fnv.New32a()
				for _, a := range s.Arguments {
					sum.Write([]byte(a.Name + ":" + a.Value.String() + ","))
				}
				c.Alias = fmt.Sprintf("__requires_%s_%x", s.Name, sum.Sum32())
			}
			c.SelectionSet = aliasArgumentFields(s.SelectionSet)
			out[i] = &c
		case *ast.InlineFragment:
			c := *s
			c.SelectionSet = aliasArgumentFields(s.SelectionSet)
			out[i] = &c
		default:
			out[i] = s
		}
	}
	return out
}
