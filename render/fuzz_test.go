package render_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// FuzzRender mutates a Mesh and a Tenant document, seeded with the examples.
// Whatever the input, loading never panics; when it is valid, rendering
// succeeds or reports located collisions, is deterministic, encodes, and
// keeps every security property.
func FuzzRender(f *testing.F) {
	meshes, _ := filepath.Glob("../examples/*/spec/mesh.yaml")
	tenants, _ := filepath.Glob("../examples/*/spec/tenants/*.yaml")
	if len(meshes) == 0 || len(tenants) == 0 {
		f.Fatal("no example specs to seed from")
	}
	for _, m := range meshes {
		for _, t := range tenants {
			f.Add(readFile(f, m), readFile(f, t))
		}
	}
	f.Fuzz(func(t *testing.T, mesh, tenant []byte) {
		files := []schema.File{{Path: "mesh.yaml", Data: mesh}, {Path: "tenant.yaml", Data: tenant}}
		spec, err := load.Parse(files...)
		if err != nil {
			assertLocated(t, err)
			return
		}
		objs, diags := render.Render(spec)
		if err := diags.Err(); err != nil {
			assertLocated(t, err)
			return
		}
		first, err := encode.Stream(objs)
		if err != nil {
			t.Fatalf("encoding valid input: %v", err)
		}
		again, _ := load.Parse(files...)
		objs2, _ := render.Render(again)
		if second, _ := encode.Stream(objs2); !bytes.Equal(first, second) {
			t.Fatal("rendering the same input twice gave different output")
		}
		for _, p := range properties {
			if err := p.check(spec, objs); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
		}
	})
}

// assertLocated fails unless err is a list of diagnostics, each naming its
// file and, but for the two whole-input problems, a line.
func assertLocated(t *testing.T, err error) {
	t.Helper()
	diags, ok := err.(schema.Errors)
	if !ok {
		t.Fatalf("error is not a diagnostic list: %T %v", err, err)
	}
	for _, d := range diags {
		if d.File == "" || d.Message == "" {
			t.Fatalf("diagnostic without file or message: %+v", d)
		}
		if d.Line == 0 && d.Message != "no Mesh found: a render needs exactly one Mesh" && !bytes.HasPrefix([]byte(d.Message), []byte("invalid YAML")) {
			t.Fatalf("diagnostic without a line: %s", d)
		}
	}
}

func readFile(f *testing.F, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
