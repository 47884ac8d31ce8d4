package specgen

import (
	"testing"

	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
)

// TestGeneratedSpecsAreValid renders the benchmark platform and many seeded
// variations: the generator must only ever produce valid input.
func TestGeneratedSpecsAreValid(t *testing.T) {
	for seed := int64(0); seed < 30; seed++ {
		spec, err := schema.Parse(Files(Options{Tenants: 5, Services: 6, Seed: seed})...)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if _, err := render.Render(spec.Mesh, spec.Tenants); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}
