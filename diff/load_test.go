package diff

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
)

const (
	specMesh = `apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata:
  name: platform
spec:
  domain: example.com
  controlPlane:
    hub: registry.example.com/istio
    revisions:
      - version: 1.30.2
`
	specShop = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  namespaces:
    - name: shop
  services:
    - name: web
      port: 8080
      ingress:
        tls: NONE
`
	specBlog = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: blog
spec:
  namespaces:
    - name: blog
`
)

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// renderTo renders the spec at spec as meshwright render -o does into dir,
// and as meshwright render does into the file stream.
func renderTo(t *testing.T, spec, dir, stream string) {
	t.Helper()
	files, err := meshwright.ReadFiles(spec)
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := meshwright.Render(files)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	if err := encode.WriteTree(dir, objs); err != nil {
		t.Fatal(err)
	}
	out, err := encode.Stream(objs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stream, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t *testing.T, path string) []Object {
	t.Helper()
	objs, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return objs
}

func mustCompare(t *testing.T, old, new []Object) Result {
	t.Helper()
	r, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSpecAndRenderedInputsAgree: a spec, its rendered tree, its YAML
// stream, the stream as kpt annotates it and a kpt package holding spec and
// tree are the same side.
func TestSpecAndRenderedInputsAgree(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec")
	writeFiles(t, spec, map[string]string{"mesh.yaml": specMesh, "tenants/shop.yaml": specShop, "tenants/blog.yaml": specBlog})
	tree, stream := filepath.Join(dir, "rendered"), filepath.Join(dir, "stream.yaml")
	renderTo(t, spec, tree, stream)

	data, err := os.ReadFile(stream)
	if err != nil {
		t.Fatal(err)
	}
	annotated := strings.ReplaceAll(string(data), "  annotations:\n", "  annotations:\n"+
		"    config.kubernetes.io/index: \"0\"\n    internal.config.kubernetes.io/path: x.yaml\n")
	pkg := filepath.Join(dir, "pkg")
	writeFiles(t, pkg, map[string]string{
		"Kptfile":           "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: mesh\n",
		"mesh.yaml":         specMesh,
		"tenants/shop.yaml": specShop,
		"tenants/blog.yaml": specBlog,
		"rendered/all.yaml": annotated,
		"annotated.yaml":    "", // an empty file
	})
	writeFiles(t, dir, map[string]string{"annotated/all.yaml": annotated})

	want := mustLoad(t, spec)
	if len(want) != 18 {
		t.Errorf("%d objects from the spec, want 18", len(want))
	}
	for _, path := range []string{tree, stream, filepath.Join(dir, "annotated"), pkg} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got := mustLoad(t, path)
			if len(got) != len(want) {
				t.Errorf("%d objects, want %d", len(got), len(want))
			}
			for _, r := range []Result{mustCompare(t, want, got), mustCompare(t, got, want)} {
				if !r.Empty() {
					t.Errorf("differs from the spec:\n%s", text(t, r))
				}
				if strings.Join(r.Unchanged, ",") != "Mesh/platform,Tenant/blog,Tenant/shop" {
					t.Errorf("unchanged: %v", r.Unchanged)
				}
			}
		})
	}
}

// TestSpecAgainstRendered: one side a rendered tree, the other an edited
// spec.
func TestSpecAgainstRendered(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec")
	writeFiles(t, spec, map[string]string{"mesh.yaml": specMesh, "shop.yaml": specShop})
	tree := filepath.Join(dir, "rendered")
	renderTo(t, spec, tree, filepath.Join(dir, "stream.yaml"))
	writeFiles(t, spec, map[string]string{"shop.yaml": strings.Replace(specShop, "port: 8080", "port: 9090", 1)})

	r := mustCompare(t, mustLoad(t, tree), mustLoad(t, spec))
	want := `Tenant/shop: 0 added, 1 changed, 0 removed
Unchanged: Mesh/platform

Tenant/shop
  changed VirtualService shop/web
    ~ spec.http[0].route[0].destination.port.number: 8080 → 9090
`
	if got := text(t, r); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestLoadSpecErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"mesh.yaml": specMesh,
		"shop.yaml": strings.Replace(specShop, "port: 8080", "portt: 8080", 1),
	})
	_, err := Load(dir)
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want a *SpecError", err, err)
	}
	if len(se.Diagnostics) == 0 || !strings.Contains(err.Error(), "shop.yaml:") || !strings.Contains(err.Error(), "[MW0100]") {
		t.Errorf("diagnostics: %v", err)
	}

	// YAML that does not parse is still recognised as a spec and located
	writeFiles(t, dir, map[string]string{"shop.yaml": "apiVersion: meshwright.dev/v1alpha1\nkind: Tenant\nmetadata: {name: shop\n"})
	if _, err := Load(dir); !errors.As(err, &se) || !strings.Contains(err.Error(), "shop.yaml:3:") {
		t.Errorf("invalid YAML: %v", err)
	}
}

func TestLoadRendered(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "rendered")
	spec := filepath.Join(dir, "spec")
	writeFiles(t, spec, map[string]string{"mesh.yaml": specMesh})
	renderTo(t, spec, tree, filepath.Join(dir, "stream.yaml"))

	if _, err := Load(filepath.Join(tree, encode.ManifestName)); err == nil || !strings.Contains(err.Error(), "list of written files") {
		t.Errorf("the manifest as input: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing path: %v", err)
	}

	writeFiles(t, dir, map[string]string{"odd/cm.yaml": `---
# an empty document
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: dates
  namespace: default
data:
  when: 2024-01-02
  count: 3
  ratio: 2.0
  nothing: ~
`, "odd/bad.yaml": "apiVersion: v1\nkind: [\n"})
	if _, err := Load(filepath.Join(dir, "odd")); err == nil || !strings.Contains(err.Error(), "bad.yaml (document 1): yaml:") {
		t.Errorf("invalid YAML in rendered input: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "odd", "bad.yaml")); err != nil {
		t.Fatal(err)
	}
	objs := mustLoad(t, filepath.Join(dir, "odd"))
	if len(objs) != 1 {
		t.Fatalf("%d objects", len(objs))
	}
	data := objs[0].Value["data"].(map[string]any)
	want := map[string]any{"when": "2024-01-02", "count": int64(3), "ratio": int64(2), "nothing": nil}
	if !reflect.DeepEqual(data, want) {
		t.Errorf("data = %#v, want %#v", data, want)
	}
	if objs[0].Source != "" || objs[0].Origin != filepath.Join(dir, "odd", "cm.yaml")+" (document 2)" {
		t.Errorf("source %q, origin %q", objs[0].Source, objs[0].Origin)
	}
}
