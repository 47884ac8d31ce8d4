package render

import (
	"reflect"
	"testing"

	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// TestCollisionsDoNotDependOnTheHash renders inputs with the identity hash
// and with hashes that make identities collide (every one, or some): the
// diagnostics are the same, whether two inputs render one object or none do.
func TestCollisionsDoNotDependOnTheHash(t *testing.T) {
	files, err := load.ReadFiles("../testdata/invalid/rendered-name-collision")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]schema.File{
		"two tenants render one certificate": files,
		"no collision":                       specgen.Files(specgen.Options{Tenants: 6, Services: 4, Seed: 3}),
	}
	hashes := map[string]func(identity) uint64{
		"every identity collides":   func(identity) uint64 { return 7 },
		"names of a length collide": func(id identity) uint64 { return uint64(len(id.name) % 3) },
	}
	for name, files := range inputs {
		spec, diags := load.Spec(files)
		if spec == nil {
			t.Fatalf("%s: %v", name, diags)
		}
		want := Each(spec, func(int, []Object) {})
		if collisions := countCode(want, schema.CodeRenderedNameConflict); (collisions > 0) != (name != "no collision") {
			t.Fatalf("%s: %d collisions reported: %v", name, collisions, want)
		}
		for hashName, hash := range hashes {
			t.Run(name+"/"+hashName, func(t *testing.T) {
				defer func(h func(identity) uint64) { identityHash = h }(identityHash)
				identityHash = hash
				if got := Each(spec, func(int, []Object) {}); !reflect.DeepEqual(got, want) {
					t.Errorf("diagnostics\n%v\nwant\n%v", got, want)
				}
			})
		}
	}
}

func countCode(diags schema.Diagnostics, code schema.Code) int {
	n := 0
	for _, d := range diags {
		if d.Code == code {
			n++
		}
	}
	return n
}
