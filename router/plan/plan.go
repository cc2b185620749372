// Package plan turns a normalized operation into a query plan: a tree of
// fetches, each one GraphQL request to one subgraph. A root fetch answers
// root fields; an entity fetch (`_entities`) adds fields to objects that an
// earlier fetch returned, located by a response path. Fetches under the same
// parent run in parallel once it is done; the executor merges the results.
package plan

import (
	"sort"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/supergraph"
)

// Plan is the plan of one operation.
type Plan struct {
	// Roots run first: in parallel for queries, in order for mutations.
	Roots      []*Fetch
	Sequential bool
	// answerSize is the size of the last answer written for this plan: a
	// cached plan is run again and again, and its answers are about the
	// same size, so the executor's buffer starts there instead of growing.
	answerSize atomic.Int64
}

// AnswerSizeHint is the size of the last answer noted for p (0 at first).
func (p *Plan) AnswerSizeHint() int { return int(p.answerSize.Load()) }

// NoteAnswerSize records the size of an answer written for p.
func (p *Plan) NoteAnswerSize(n int) { p.answerSize.Store(int64(n)) }

// Fetch is one request to one subgraph.
type Fetch struct {
	ID    int
	Graph string // subgraph name
	URL   string
	// Entity fetches find their input objects at Path (response keys from
	// the root; lists are walked through) whose __typename is in Types.
	Entity bool
	Path   []string
	Types  []string
	// MorePaths are further paths whose objects the fetch also extends
	// (identical fetches merged by optimize: one request, and objects found
	// at several paths sent once).
	MorePaths [][]string `json:",omitempty"`
	// RepTypename, when set, replaces __typename in the representations: an
	// @interfaceObject subgraph knows the interface, not its implementations.
	RepTypename string
	// Representation is the selection copied from each input object into
	// its representation: __typename, the key fields and @requires fields.
	Representation []*Selection
	// Selection is what the fetch asks for (under _entities' inline
	// fragment for entity fetches).
	Selection []*Selection
	Children  []*Fetch
	// After lists fetches (by ID) that must finish first besides the parent:
	// those that fetch the fields this one's @requires or key needs.
	After []int
	// Operation is the rendered GraphQL document and the variables it uses.
	Operation string
	Variables []string
	OpKind    ast.Operation

	typeName string // the type Selection applies to
	graph    string // join__Graph enum
}

// Selection is a field or an inline fragment of a subgraph query.
type Selection struct {
	ResponseKey string
	Name        string // field name; "" for an inline fragment
	Arguments   ast.ArgumentList
	TypeCond    string // inline fragments only
	Children    []*Selection
	// Original is the client's response key of a field the subgraph query
	// aliases (two sibling fragments select one key with different types,
	// which the subgraph would refuse); the executor renames it back.
	Original string `json:",omitempty"`
	// typeSig is the field's type in the fetch's subgraph, to spot such conflicts.
	typeSig string
}

func (s *Selection) key() string {
	if s.Name == "" {
		return "... on " + s.TypeCond
	}
	return s.ResponseKey
}

var typenameSel = &Selection{ResponseKey: "__typename", Name: "__typename"}

// merge adds sel to list, merging with an existing selection of the same key.
func merge(list []*Selection, sel *Selection) []*Selection {
	for _, existing := range list {
		if existing.key() == sel.key() && existing.Name == sel.Name {
			for _, c := range sel.Children {
				existing.Children = merge(existing.Children, c)
			}
			return list
		}
	}
	return append(list, sel)
}

func mergeAll(list, more []*Selection) []*Selection {
	for _, s := range more {
		list = merge(list, s)
	}
	return list
}

func appendPath(path []string, key string) []string {
	return append(append([]string(nil), path...), key)
}

// Planner plans operations against one supergraph.
// It is safe for concurrent use: all planning state lives in one planning.
type Planner struct {
	sg  *supergraph.Supergraph
	api *ast.Schema
}

// New returns a planner.
func New(sg *supergraph.Supergraph, api *ast.Schema) *Planner {
	return &Planner{sg: sg, api: api}
}

// Plan plans op.
func (p *Planner) Plan(op *normalize.Operation) (*Plan, error) {
	pl := &planning{Planner: p, op: op, inEntityFetch: map[*ast.Field]bool{}, hopping: map[string]bool{}}
	return pl.plan()
}

// planning is the state of planning one operation.
type planning struct {
	*Planner
	op     *normalize.Operation
	out    *Plan
	fetchs []*Fetch
	// frames is the stack of selection sets being planned, outermost first.
	frames []*frame
	// entering is the field whose selection set planSelections plans next.
	entering *ast.Field
	// inEntityFetch marks fields being planned into the entity fetch that
	// carries their @requires fields: there they resolve directly.
	inEntityFetch map[*ast.Field]bool
	// hopping marks the (fetch, type, path) whose key is being fetched
	// through another hop, so that a key needing itself fails instead of looping.
	hopping map[string]bool
	depth   int
	nextID  int
}

// maxDepth bounds planning recursion: deeper means a cycle in the
// supergraph's keys and requirements, reported as an error, never a crash.
const maxDepth = 400

// frame is one selection set being planned: where, for which fetch, reached
// through which field, and what the fetch must additionally select there.
type frame struct {
	fetch    *Fetch
	typeName string
	path     []string
	field    *ast.Field
	extra    []*Selection
}

func (p *planning) newFetch(graph, typeName string, entity bool, path []string) *Fetch {
	p.nextID++
	g := p.sg.Graph(graph)
	f := &Fetch{ID: p.nextID, Graph: g.Name, URL: g.URL, graph: graph, typeName: typeName, Entity: entity,
		Path: append([]string(nil), path...), OpKind: ast.Query}
	p.fetchs = append(p.fetchs, f)
	return f
}

// plan plans the root fields in order, then checks and renders the fetches.
func (p *planning) plan() (*Plan, error) {
	p.out = &Plan{Sequential: p.op.Kind == ast.Mutation}
	for _, s := range p.op.SelectionSet {
		if err := p.planRootField(s); err != nil {
			return nil, err
		}
	}
	if err := checkAcyclic(p.fetchs); err != nil {
		return nil, err
	}
	for _, f := range p.fetchs {
		if err := p.render(f); err != nil {
			return nil, err
		}
	}
	return p.out, nil
}

// sortedGraphs returns graph enums sorted by name for determinism.
func (p *planning) sortedGraphs(graphs []string) []string {
	out := append([]string(nil), graphs...)
	sort.Slice(out, func(i, j int) bool { return p.sg.Graph(out[i]).Name < p.sg.Graph(out[j]).Name })
	return out
}
