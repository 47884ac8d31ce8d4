package graph_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshwright/meshwright/graph"
	"github.com/meshwright/meshwright/schema/load"
)

var update = flag.Bool("update", false, "rewrite testdata/golden and the Traffic sections of the examples' READMEs")

// example is one spec under examples/: its directory (holding spec/) and its
// name below examples/ ("multi-tenant", "canary-upgrade/after").
type example struct {
	dir, name string
}

func examples(t *testing.T) []example {
	t.Helper()
	var cases []example
	for _, pattern := range []string{"../examples/*/spec", "../examples/*/*/spec"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range m {
			dir := filepath.Dir(spec)
			name, _ := filepath.Rel("../examples", dir)
			cases = append(cases, example{dir: dir, name: filepath.ToSlash(name)})
		}
	}
	if len(cases) == 0 {
		t.Fatal("no examples found")
	}
	return cases
}

func draw(t *testing.T, dir string, opts graph.Options) (mermaid, dot []byte) {
	t.Helper()
	spec, err := load.Load(filepath.Join(dir, "spec"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Build(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	var m, d bytes.Buffer
	if err := g.Mermaid(&m); err != nil {
		t.Fatal(err)
	}
	if err := g.DOT(&d); err != nil {
		t.Fatal(err)
	}
	return m.Bytes(), d.Bytes()
}

// TestGolden draws every example, whole and narrowed to each of its
// tenants, against testdata/golden/<example>/: graph.mmd and graph.dot, and
// tenant-<name>.mmd (the writers are the same for a narrowed graph). Every
// output also passes the syntax checks.
func TestGolden(t *testing.T) {
	for _, ex := range examples(t) {
		t.Run(ex.name, func(t *testing.T) {
			golden := filepath.Join("testdata", "golden", filepath.FromSlash(ex.name))
			mermaid, dot := draw(t, ex.dir, graph.Options{})
			checkMermaid(t, mermaid)
			checkDOT(t, dot)
			compareGolden(t, filepath.Join(golden, "graph.mmd"), mermaid)
			compareGolden(t, filepath.Join(golden, "graph.dot"), dot)
			spec, err := load.Load(filepath.Join(ex.dir, "spec"))
			if err != nil {
				t.Fatal(err)
			}
			for _, tenant := range spec.Tenants {
				name := tenant.Metadata.Name
				mermaid, dot := draw(t, ex.dir, graph.Options{Tenant: name})
				checkMermaid(t, mermaid)
				checkDOT(t, dot)
				compareGolden(t, filepath.Join(golden, "tenant-"+name+".mmd"), mermaid)
			}
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./graph -update writes it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the graph (go test ./graph -update rewrites it):\n%s", path, lineDiff("golden", string(want), "graph", string(got)))
	}
}

// lineDiff names the first line that differs between a and b.
func lineDiff(aName, a, bName, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  %-7s %s\n  %-7s %s", i+1, aName+":", x, bName+":", y)
		}
	}
	return ""
}
