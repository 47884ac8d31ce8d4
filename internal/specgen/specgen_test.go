package specgen

import (
	"testing"

	"github.com/meshwright/meshwright"
)

// TestGeneratedSpecsAreValid renders the benchmark platform and many seeded
// variations: the generator must only ever produce valid input.
func TestGeneratedSpecsAreValid(t *testing.T) {
	for seed := int64(0); seed < 30; seed++ {
		if _, diags := meshwright.Render(Files(Options{Tenants: 5, Services: 6, Seed: seed})); diags.Err() != nil {
			t.Fatalf("seed %d: %v", seed, diags.Err())
		}
	}
}
