package execute

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
)

// introspect answers __schema and __type from the public schema, so that
// introspection never reaches a subgraph (and never shows what they hide).
func introspect(schema *ast.Schema, f *ast.Field, vars map[string]any) (any, error) {
	s := introspection.WrapSchema(schema)
	switch f.Name {
	case "__schema":
		return introObject(f.SelectionSet, "__Schema", func(name string, fld *ast.Field) (any, error) {
			switch name {
			case "description":
				return s.Description(), nil
			case "types":
				return introList(s.Types(), func(t introspection.Type) (any, error) { return introType(&t, fld, vars) })
			case "queryType":
				return introType(s.QueryType(), fld, vars)
			case "mutationType":
				return introType(s.MutationType(), fld, vars)
			case "subscriptionType":
				return introType(s.SubscriptionType(), fld, vars)
			case "directives":
				return introList(s.Directives(), func(d introspection.Directive) (any, error) { return introDirective(&d, fld, vars) })
			}
			return nil, fmt.Errorf("unknown field __Schema.%s", name)
		})
	case "__type":
		nameArg := f.ArgumentMap(vars)["name"]
		name, _ := nameArg.(string)
		def := schema.Types[name]
		if def == nil {
			return nil, nil
		}
		return introType(introspection.WrapTypeFromDef(schema, def), f, vars)
	}
	return nil, fmt.Errorf("unknown introspection field %s", f.Name)
}

// introObject resolves the fields of sel on an introspection object.
func introObject(sel ast.SelectionSet, typeName string, resolve func(name string, f *ast.Field) (any, error)) (*Object, error) {
	out := &Object{}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				out.set(s.Alias, typeName)
				continue
			}
			v, err := resolve(s.Name, s)
			if err != nil {
				return nil, err
			}
			out.set(s.Alias, v)
		case *ast.InlineFragment:
			if s.TypeCondition != "" && s.TypeCondition != typeName {
				continue
			}
			sub, err := introObject(s.SelectionSet, typeName, resolve)
			if err != nil {
				return nil, err
			}
			for i, k := range sub.keys {
				out.set(k, sub.vals[i])
			}
		}
	}
	return out, nil
}

func introList[T any](items []T, each func(T) (any, error)) ([]any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		v, err := each(it)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func includeDeprecated(f *ast.Field, vars map[string]any) bool {
	b, _ := f.ArgumentMap(vars)["includeDeprecated"].(bool)
	return b
}

func introType(t *introspection.Type, f *ast.Field, vars map[string]any) (any, error) {
	if t == nil {
		return nil, nil
	}
	return introObject(f.SelectionSet, "__Type", func(name string, fld *ast.Field) (any, error) {
		switch name {
		case "kind":
			return t.Kind(), nil
		case "name":
			return t.Name(), nil
		case "description":
			return t.Description(), nil
		case "specifiedByURL":
			return t.SpecifiedByURL(), nil
		case "isOneOf":
			return t.IsOneOf(), nil
		case "fields":
			if t.Kind() != "OBJECT" && t.Kind() != "INTERFACE" {
				return nil, nil
			}
			return introList(t.Fields(includeDeprecated(fld, vars)), func(x introspection.Field) (any, error) { return introField(&x, fld, vars) })
		case "interfaces":
			if t.Kind() != "OBJECT" && t.Kind() != "INTERFACE" {
				return nil, nil
			}
			return introList(t.Interfaces(), func(x introspection.Type) (any, error) { return introType(&x, fld, vars) })
		case "possibleTypes":
			if t.Kind() != "INTERFACE" && t.Kind() != "UNION" {
				return nil, nil
			}
			return introList(t.PossibleTypes(), func(x introspection.Type) (any, error) { return introType(&x, fld, vars) })
		case "enumValues":
			if t.Kind() != "ENUM" {
				return nil, nil
			}
			return introList(t.EnumValues(includeDeprecated(fld, vars)), func(x introspection.EnumValue) (any, error) { return introEnumValue(&x, fld) })
		case "inputFields":
			if t.Kind() != "INPUT_OBJECT" {
				return nil, nil
			}
			return introList(t.VisibleInputFields(includeDeprecated(fld, vars)), func(x introspection.InputValue) (any, error) { return introInput(&x, fld, vars) })
		case "ofType":
			return introType(t.OfType(), fld, vars)
		}
		return nil, fmt.Errorf("unknown field __Type.%s", name)
	})
}

func introField(x *introspection.Field, f *ast.Field, vars map[string]any) (any, error) {
	return introObject(f.SelectionSet, "__Field", func(name string, fld *ast.Field) (any, error) {
		switch name {
		case "name":
			return x.Name, nil
		case "description":
			return x.Description(), nil
		case "args":
			return introList(x.VisibleArgs(includeDeprecated(fld, vars)), func(a introspection.InputValue) (any, error) { return introInput(&a, fld, vars) })
		case "type":
			return introType(x.Type, fld, vars)
		case "isDeprecated":
			return x.IsDeprecated(), nil
		case "deprecationReason":
			return x.DeprecationReason(), nil
		}
		return nil, fmt.Errorf("unknown field __Field.%s", name)
	})
}

func introInput(x *introspection.InputValue, f *ast.Field, vars map[string]any) (any, error) {
	return introObject(f.SelectionSet, "__InputValue", func(name string, fld *ast.Field) (any, error) {
		switch name {
		case "name":
			return x.Name, nil
		case "description":
			return x.Description(), nil
		case "type":
			return introType(x.Type, fld, vars)
		case "defaultValue":
			return x.DefaultValue, nil
		case "isDeprecated":
			return x.IsDeprecated(), nil
		case "deprecationReason":
			return x.DeprecationReason(), nil
		}
		return nil, fmt.Errorf("unknown field __InputValue.%s", name)
	})
}

func introEnumValue(x *introspection.EnumValue, f *ast.Field) (any, error) {
	return introObject(f.SelectionSet, "__EnumValue", func(name string, _ *ast.Field) (any, error) {
		switch name {
		case "name":
			return x.Name, nil
		case "description":
			return x.Description(), nil
		case "isDeprecated":
			return x.IsDeprecated(), nil
		case "deprecationReason":
			return x.DeprecationReason(), nil
		}
		return nil, fmt.Errorf("unknown field __EnumValue.%s", name)
	})
}

func introDirective(x *introspection.Directive, f *ast.Field, vars map[string]any) (any, error) {
	return introObject(f.SelectionSet, "__Directive", func(name string, fld *ast.Field) (any, error) {
		switch name {
		case "name":
			return x.Name, nil
		case "description":
			return x.Description(), nil
		case "locations":
			return x.Locations, nil
		case "args":
			return introList(x.VisibleArgs(includeDeprecated(fld, vars)), func(a introspection.InputValue) (any, error) { return introInput(&a, fld, vars) })
		case "isRepeatable":
			return x.IsRepeatable, nil
		}
		return nil, fmt.Errorf("unknown field __Directive.%s", name)
	})
}
