package meshwright_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
)

// TestShardsAreSlicesOfTheFullRender: a shard emits, byte for byte, the
// objects of the full render whose source it names.
func TestShardsAreSlicesOfTheFullRender(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(caseName(dir), func(t *testing.T) {
			files, err := meshwright.ReadFiles(filepath.Join(dir, "spec"))
			if err != nil {
				t.Fatal(err)
			}
			full := renderFiles(t, files)
			spec, _ := meshwright.Load(files)
			for _, tenant := range spec.Tenants {
				name := tenant.Metadata.Name
				for _, tc := range []struct {
					label   string
					opts    []meshwright.Option
					sources []string
				}{
					{"with the Mesh", []meshwright.Option{meshwright.Tenants(name)}, []string{"Mesh/" + spec.Mesh.Metadata.Name, "Tenant/" + name}},
					{"without the Mesh", []meshwright.Option{meshwright.Tenants(name), meshwright.WithoutMesh()}, []string{"Tenant/" + name}},
				} {
					shard, diags := meshwright.Render(files, tc.opts...)
					if err := diags.Err(); err != nil {
						t.Fatal(err)
					}
					want := encodeStream(t, fromSources(full, tc.sources))
					if got := encodeStream(t, shard); !bytes.Equal(got, want) || len(shard) == 0 {
						t.Errorf("shard %s %s: %d objects, not the %d of the full render", name, tc.label, len(shard), len(fromSources(full, tc.sources)))
					}
				}
			}
		})
	}
}

func fromSources(objs []render.Object, sources []string) []render.Object {
	var out []render.Object
	for _, o := range objs {
		for _, s := range sources {
			if o.GetAnnotations()[render.AnnotationSource] == s {
				out = append(out, o)
			}
		}
	}
	return out
}

// TestMeshShard: a shard of no tenant is the Mesh's objects.
func TestMeshShard(t *testing.T) {
	files, err := meshwright.ReadFiles("examples/zero-trust/spec")
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := meshwright.Render(files, meshwright.Tenants())
	if err := diags.Err(); err != nil || len(objs) == 0 {
		t.Fatalf("%d objects, %v", len(objs), err)
	}
	for _, o := range objs {
		if s := o.GetAnnotations()[render.AnnotationSource]; s != "Mesh/platform" {
			t.Errorf("the Mesh's shard holds %s %s of %s", render.Kind(o), o.GetName(), s)
		}
	}
}

// TestShardsValidateEverything: a shard is refused for an error in a tenant
// it does not emit, and for a tenant the inputs lack.
func TestShardsValidateEverything(t *testing.T) {
	files, err := meshwright.ReadFiles("testdata/invalid/host-exposed-twice")
	if err != nil {
		t.Fatal(err)
	}
	if objs, diags := meshwright.Render(files, meshwright.Tenants("blog")); diags.Err() == nil || objs != nil {
		t.Error("the shard of blog rendered although shop claims its host")
	}
	files, err = meshwright.ReadFiles("examples/zero-trust/spec")
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := meshwright.Render(files, meshwright.Tenants("payments", "checkout"))
	if objs != nil || len(diags) != 1 || diags[0].Code != schema.CodeUnknownShardTenant || !strings.Contains(diags[0].Message, `"checkout"`) {
		t.Errorf("a shard naming an unknown tenant: %d objects, %v", len(objs), diags)
	}
}
