package render

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"

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

// TestCollisionsAreThoseOfAnIdentityMap holds the hashed collision check to
// the plain one it replaced (an identity-keyed map of first owners), over
// random inputs drawn from a few identities, under hashes that collide
// often: repeats within an input, three-way collisions, and identities
// whose hash another took first.
func TestCollisionsAreThoseOfAnIdentityMap(t *testing.T) {
	defer func(h func(identity) uint64) { identityHash = h }(identityHash)
	r := rand.New(rand.NewPCG(7, 11))
	for round := range 5000 {
		pool := make([]identity, 1+r.IntN(6))
		for i := range pool {
			pool[i] = identity{k8sschema.GroupKind{Kind: []string{"Service", "Role"}[i%2]}, "ns", fmt.Sprint("o-", i/2)}
		}
		space := uint64(1 + r.IntN(3))
		identityHash = func(id identity) uint64 { return uint64(len(id.name)+len(id.groupKind.Kind)) % space }
		inputs := make([]rendered, 1+r.IntN(5))
		for i := range inputs {
			inputs[i].source = fmt.Sprint("Tenant/t", i)
			for range r.IntN(5) {
				id := pool[r.IntN(len(pool))]
				inputs[i].objects = append(inputs[i].objects, id)
				inputs[i].hashes = append(inputs[i].hashes, identityHash(id))
			}
		}
		got := newObjectSet(inputs)
		for i := range inputs {
			got.add(i)
		}
		if want := firstOwnerConflicts(inputs); !reflect.DeepEqual(got.diags, want) {
			t.Fatalf("round %d, inputs %+v:\n%v\nwant\n%v", round, inputs, got.diags, want)
		}
	}
}

// firstOwnerConflicts is the collision check as an identity-keyed map of
// each object's first owner.
func firstOwnerConflicts(inputs []rendered) schema.Diagnostics {
	s := &objectSet{inputs: inputs}
	first := map[identity]int{}
	for i, in := range inputs {
		for _, id := range in.objects {
			if prev, dup := first[id]; dup {
				s.collide(i, prev, id)
				continue
			}
			first[id] = i
		}
	}
	return s.diags
}
