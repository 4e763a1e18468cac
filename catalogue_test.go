package latch_test

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
)

// emittedTypes parses the package in dir and returns the event types its
// calls to emit or Emit pass: string literals, constants, or local
// variables assigned only those.
func emittedTypes(t *testing.T, dir string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	consts := map[string]string{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_templ.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, id := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	value := func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.Ident:
			s, ok := consts[e.Name]
			return s, ok
		}
		return "", false
	}
	out := map[string]string{}
	for _, f := range parsed {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			// What each local variable is assigned, in this function;
			// a parameter is forwarded (Tx.Emit), and checked when called.
			params := map[string]bool{}
			for _, f := range fn.Type.Params.List {
				for _, n := range f.Names {
					params[n.Name] = true
				}
			}
			locals := map[string][]ast.Expr{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
					for i, l := range as.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							locals[id.Name] = append(locals[id.Name], as.Rhs[i])
						}
					}
				}
				return true
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 2 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "emit" && sel.Sel.Name != "Emit") {
					return true
				}
				at := fset.Position(call.Pos()).String()
				arg := call.Args[1]
				exprs := []ast.Expr{arg}
				if id, ok := arg.(*ast.Ident); ok && params[id.Name] {
					return true
				} else if ok && locals[id.Name] != nil {
					exprs = locals[id.Name]
				}
				for _, e := range exprs {
					v, ok := value(e)
					if !ok {
						t.Errorf("%s: cannot tell which event type this emits; pass a constant", at)
						continue
					}
					out[v] = at
				}
				return true
			})
		}
	}
	return out
}

// catalogued returns the names an Auth's catalogue holds.
func catalogued(a *latch.Auth) map[string]latch.EventType {
	out := map[string]latch.EventType{}
	for _, e := range a.EventTypes() {
		out[e.Name] = e
	}
	return out
}

func TestEveryEventTypeTheKernelEmitsIsInTheCatalogue(t *testing.T) {
	emitted := emittedTypes(t, ".")
	if len(emitted) < 5 {
		t.Fatalf("found only %d emitted types; the parse is broken", len(emitted))
	}
	cat := catalogued(latchtest.New(t))
	for typ, at := range emitted {
		if _, ok := cat[typ]; !ok && typ != "" {
			t.Errorf("%s emits %q, which the catalogue does not list", at, typ)
		}
	}
	docs, err := os.ReadFile("docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range cat {
		if !strings.Contains(string(docs), "`"+name+"`") {
			t.Errorf("docs/events.md does not document %q", name)
		}
		if !json.Valid(e.Payload) || e.Description == "" {
			t.Errorf("%q: want a description and a JSON payload example", name)
		}
	}
}

// emitter is a plugin that emits the event type typ, declaring declared.
type emitter struct {
	declared []latch.EventType
	h        *latch.Host
}

func (p *emitter) Name() string { return "emitter" }
func (p *emitter) Register(h *latch.Host) error {
	p.h = h
	for _, e := range p.declared {
		if err := h.DeclareEvents(e); err != nil {
			return err
		}
	}
	return nil
}

func (p *emitter) emit(typ string) error {
	return p.h.InTx(context.Background(), func(t *latch.Tx) error { return t.Emit(context.Background(), typ, "", map[string]int{"n": 1}) })
}

func TestPluginEventTypesAreDeclaredBeforeTheyAreEmitted(t *testing.T) {
	p := &emitter{declared: []latch.EventType{{Name: "emitter.pinged", Description: "A ping.", Payload: json.RawMessage(`{"n":1}`)}}}
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{p}}})
	if _, ok := catalogued(a.Auth)["emitter.pinged"]; !ok {
		t.Error("a declared type is missing from EventTypes")
	}
	if err := p.emit("emitter.pinged"); err != nil {
		t.Errorf("emitting a declared type: %v", err)
	}
	if err := p.emit("emitter.undeclared"); err == nil {
		t.Error("an undeclared event type was emitted: the catalogue would not cover it")
	}
	for _, bad := range []latch.EventType{
		{Name: latch.EventUserCreated, Description: "x"},
		{Name: "NoDot", Description: "x"},
		{Name: "Emitter.pinged", Description: "x"},
		{Name: "emitter.Pinged", Description: "x"},
		{Name: "emitter.nodescription"},
		{Name: "emitter.badjson", Description: "x", Payload: json.RawMessage(`{`)},
	} {
		_, err := latch.New(latch.Config{Store: memStore(), Secrets: [][]byte{[]byte(strings.Repeat("s", 32))},
			Plugins: []latch.Plugin{&emitter{declared: []latch.EventType{bad}}}})
		if err == nil {
			t.Errorf("DeclareEvents(%+v) accepted", bad)
		}
	}
}
