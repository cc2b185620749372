package plan

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// render writes f's GraphQL document and collects the variables it uses.
func (p *planning) render(f *Fetch) error {
	used := map[string]bool{}
	aliasConflicts(f.Selection)
	var body strings.Builder
	writeSelections(&body, f.Selection, used)
	var b strings.Builder
	if f.Entity {
		b.WriteString("query")
		writeVariables(&b, p.op.Variables, used, "$representations:[_Any!]!")
		b.WriteString("{_entities(representations:$representations){...on ")
		b.WriteString(f.typeName)
		b.WriteString(body.String())
		b.WriteString("}}")
	} else {
		b.WriteString(string(f.OpKind))
		writeVariables(&b, p.op.Variables, used, "")
		b.WriteString(body.String())
	}
	f.Operation = b.String()
	for name := range used {
		f.Variables = append(f.Variables, name)
	}
	slices.Sort(f.Variables)
	return nil
}

func writeVariables(b *strings.Builder, defs ast.VariableDefinitionList, used map[string]bool, extra string) {
	var parts []string
	if extra != "" {
		parts = append(parts, extra)
	}
	for _, d := range defs {
		if used[d.Variable] {
			s := "$" + d.Variable + ":" + d.Type.String()
			if d.DefaultValue != nil {
				s += "=" + d.DefaultValue.String()
			}
			parts = append(parts, s)
		}
	}
	if len(parts) > 0 {
		b.WriteString("(" + strings.Join(parts, ",") + ")")
	}
}

func writeSelections(b *strings.Builder, sels []*Selection, used map[string]bool) {
	b.WriteByte('{')
	for i, s := range sels {
		if i > 0 {
			b.WriteByte(' ')
		}
		if s.Name == "" {
			b.WriteString("...on ")
			b.WriteString(s.TypeCond)
			writeSelections(b, s.Children, used)
			continue
		}
		if s.ResponseKey != "" && s.ResponseKey != s.Name {
			b.WriteString(s.ResponseKey)
			b.WriteByte(':')
		}
		b.WriteString(s.Name)
		if len(s.Arguments) > 0 {
			b.WriteByte('(')
			for j, a := range s.Arguments {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(a.Name)
				b.WriteByte(':')
				b.WriteString(a.Value.String())
				collectVariables(a.Value, used)
			}
			b.WriteByte(')')
		}
		if len(s.Children) > 0 {
			writeSelections(b, s.Children, used)
		}
	}
	b.WriteByte('}')
}

func collectVariables(v *ast.Value, used map[string]bool) {
	if v == nil {
		return
	}
	if v.Kind == ast.Variable {
		used[v.Raw] = true
	}
	for _, c := range v.Children {
		collectVariables(c.Value, used)
	}
}

// aliasConflicts gives a private alias to fields that sibling inline
// fragments select under one response key with different types (valid for
// the client's schema, where the types are one, but refused by a subgraph
// whose types differ), recording the client's key in Original.
func aliasConflicts(sels []*Selection) {
	sigs := map[string]map[string]bool{} // response key -> type signatures in fragments
	for _, s := range sels {
		if s.Name != "" {
			continue
		}
		for _, c := range s.Children {
			if c.Name == "" || c.typeSig == "" {
				continue
			}
			if sigs[c.ResponseKey] == nil {
				sigs[c.ResponseKey] = map[string]bool{}
			}
			sigs[c.ResponseKey][c.typeSig] = true
		}
	}
	for _, s := range sels {
		if s.Name == "" {
			for _, c := range s.Children {
				if c.Name != "" && c.Original == "" && len(sigs[c.ResponseKey]) > 1 {
					c.Original = c.ResponseKey
					c.ResponseKey = "__" + s.TypeCond + "_" + c.ResponseKey
				}
			}
		}
		aliasConflicts(s.Children)
	}
}
