package conformance

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/schema/load"
)

// TestSidecarConfigSize measures the configuration istiod pushes to one
// sidecar (of the first generated tenant's first namespace) for specgen's
// platform (10 services per tenant) at 10 and 100 tenants, with scoped and
// mesh-wide visibility: the numbers of clusters, listeners, route
// configurations (virtual hosts) and endpoints, and the bytes of their
// protobuf encoding. It logs them; it fails only when scoped visibility
// does not shrink the configuration. 1,000 tenants run with
// MESHWRIGHT_XDS_SIZE_1000=1 (minutes); -short skips the measurement.
func TestSidecarConfigSize(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement: not under -short")
	}
	bin := istioctl(t)
	tenants := []int{10, 100}
	if os.Getenv("MESHWRIGHT_XDS_SIZE_1000") != "" {
		tenants = append(tenants, 1000)
	}
	iops := map[[32]byte]iopFile{}
	dir := t.TempDir() // no comma in the path: istioctl -f splits on commas
	for _, n := range tenants {
		sizes := map[string]ConfigSize{}
		for _, visibility := range []string{"scoped", "mesh"} {
			t.Run(fmt.Sprintf("%d-tenants-%s", n, visibility), func(t *testing.T) {
				start := time.Now()
				m := specgenCluster(t, bin, specgen.Options{Tenants: n, Services: 10, Visibility: visibility}, dir, iops)
				ready := time.Now()
				from, err := m.sidecar(m.paths.Namespaces[0].Name)
				if err != nil {
					t.Fatal(err)
				}
				size := from.Size()
				sizes[visibility] = size
				t.Logf("%d tenants (%d services, %d Pods), visibility %s: %s: %s (cluster and istiod %v, generation %v)",
					n, len(m.paths.Services), len(m.x.pods), visibility, from, size, ready.Sub(start).Round(time.Millisecond), time.Since(ready).Round(time.Millisecond))
			})
		}
		if s, u := sizes["scoped"], sizes["mesh"]; s.Total() > 0 && u.Total() > 0 && s.Total() >= u.Total() {
			t.Errorf("%d tenants: scoped visibility pushes %d B, mesh-wide %d B", n, s.Total(), u.Total())
		}
	}
}

// specgenCluster renders a generated spec and assembles its cluster as
// pathCluster does a tree's (without the Secrets, which no check here
// reads); iops caches istioctl's manifests by IstioOperator.
func specgenCluster(t *testing.T, bin string, o specgen.Options, dir string, iops map[[32]byte]iopFile) *meshUnderTest {
	t.Helper()
	files := specgen.Files(o)
	spec, err := load.Parse(files...)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := AllowedPaths(spec)
	if err != nil {
		t.Fatal(err)
	}
	rendered, diags := meshwright.Render(files)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	var webhooks []injector
	var installs []iopFile
	for _, r := range rendered {
		b, err := encode.Object(r)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := ParseDocs(encode.Path(r), b)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Object.GroupVersionKind() != istioOperatorGVK {
				objs = append(objs, d.Object)
				continue
			}
			key := sha256.Sum256(b)
			f, ok := iops[key]
			if !ok {
				file := filepath.Join(dir, fmt.Sprintf("%x.yaml", key[:8]))
				if err := os.WriteFile(file, b, 0o644); err != nil {
					t.Fatal(err)
				}
				d.File = file
				f = generatedFor(t, bin, d)
				iops[key] = f
			}
			installs = append(installs, f)
			objs = append(objs, installed(f.manifest)...)
			hooks, err := injectors(f)
			if err != nil {
				t.Fatal(err)
			}
			webhooks = append(webhooks, hooks...)
		}
	}
	for _, o := range objs {
		defaultService(o)
	}
	objs = append(objs, SpecWorkloads(paths, objs)...)
	objs = append(objs, podsOf(objs, namespaceLabels(objs), webhooks)...)
	mesh, err := meshConfigOf(installs)
	if err != nil {
		t.Fatal(err)
	}
	return &meshUnderTest{x: NewXDS(t, objs, mesh), paths: paths, objs: objs, namespaces: namespaceLabels(objs)}
}
