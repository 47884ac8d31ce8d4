package load

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshwright/meshwright/schema"
)

// FuzzParse feeds arbitrary bytes to the loader, seeded with every example
// and invalid case. It must never panic, and an input it refuses must come
// with located diagnostics; one it accepts is complete.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"../../examples/*/spec/*.yaml", "../../examples/*/spec/*/*.yaml", "../../testdata/invalid/*/*.yaml", "../../testdata/golden/*/spec/*.yaml"} {
		m, _ := filepath.Glob(pattern)
		seeds = append(seeds, m...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse(schema.File{Path: "fuzz.yaml", Data: data})
		if err != nil {
			var diags schema.Errors
			if !errors.As(err, &diags) || len(diags) == 0 {
				t.Fatalf("error without diagnostics: %v", err)
			}
			for _, d := range diags {
				if d.File != "fuzz.yaml" || d.Message == "" {
					t.Fatalf("diagnostic not located in the input: %+v", d)
				}
				if d.Line == 0 && d.Message != "no Mesh found: a render needs exactly one Mesh" && !bytes.HasPrefix([]byte(d.Message), []byte("invalid YAML")) {
					t.Fatalf("diagnostic without a line: %s", d)
				}
			}
			return
		}
		if spec.Mesh == nil || spec.Mesh.Spec.Domain == "" || len(spec.Mesh.Spec.ControlPlane.Revisions) == 0 {
			t.Fatalf("accepted an incomplete Mesh: %+v", spec.Mesh)
		}
		for _, tn := range spec.Tenants {
			if len(tn.Spec.Namespaces) == 0 || tn.Spec.Revision == "" {
				t.Fatalf("accepted an incomplete Tenant: %+v", tn)
			}
		}
	})
}
