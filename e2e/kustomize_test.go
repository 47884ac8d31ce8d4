package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// overlayTree copies overlays/ and the meshwright under test into a new
// directory laid out like the repository (overlays/, bin/meshwright), so the
// overlays' exec path ../../bin/meshwright finds it. It returns the root.
func overlayTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	copyTree(t, filepath.Join(repoRoot, "overlays"), filepath.Join(root, "overlays"))
	copyTree(t, filepath.Dir(binary), filepath.Join(root, "bin"))
	return root
}

// kustomizeBuild runs the real kustomize in root, as a user does in the
// repository:
//
//	kustomize build --enable-alpha-plugins --enable-exec overlays/dev
func kustomizeBuild(t *testing.T, root string, env []string, args ...string) result {
	t.Helper()
	return command(t, root, env, kustomize(t), append([]string{"build", "--enable-alpha-plugins"}, args...)...)
}

// TestKustomizeOverlays builds overlays/dev and overlays/prod and compares
// them with their reviewed goldens (go test ./e2e -update rewrites them).
func TestKustomizeOverlays(t *testing.T) {
	root := overlayTree(t)
	for _, tt := range []struct {
		overlay, mtls string
		requireJWT    bool
	}{
		{"dev", "PERMISSIVE", false},
		{"prod", "STRICT", true},
	} {
		t.Run(tt.overlay, func(t *testing.T) {
			r := kustomizeBuild(t, root, nil, "--enable-exec", "overlays/"+tt.overlay)
			if r.err != nil {
				t.Fatalf("kustomize build: %s", r)
			}
			objs := parseStream(t, r.stdout)
			// kustomize skips exec functions silently when misconfigured: make
			// sure the function ran, and ran over the patched Mesh
			pa := findObject(objs, "PeerAuthentication", "istio-system", "default")
			if pa == nil || pa.GetAnnotations()["meshwright.dev/source"] != "Mesh/platform" {
				t.Fatalf("no PeerAuthentication rendered by meshwright:\n%s", r.stdout)
			}
			if mode := stringAt(t, pa, "spec", "mtls", "mode"); mode != tt.mtls {
				t.Errorf("mTLS mode %q, want %q", mode, tt.mtls)
			}
			if got := findObject(objs, "AuthorizationPolicy", "istio-system", "istio-ingressgateway-require-jwt") != nil; got != tt.requireJWT {
				t.Errorf("gateway requires a JWT: %v, want %v", got, tt.requireJWT)
			}
			for _, o := range objs {
				if o.GetApiVersion() == "meshwright.dev/v1alpha1" {
					t.Errorf("the input %s/%s is in the output: it is local-config", o.GetKind(), o.GetName())
				}
			}
			checkGolden(t, filepath.Join("testdata", "golden", "kustomize-"+tt.overlay+".yaml"), r.stdout)
		})
	}
}

// TestKustomizeProdAutoscaling shows that the prod patch reaches the
// IstioOperator, which kustomize leaves out of its output (local-config):
// a second transformer after the function drops the annotation.
func TestKustomizeProdAutoscaling(t *testing.T) {
	root := overlayTree(t)
	prod := filepath.Join(root, "overlays", "prod")
	keep := `apiVersion: builtin
kind: PatchTransformer
metadata:
  name: keep-istiooperators
target: {kind: IstioOperator}
patch: |
  - op: remove
    path: /metadata/annotations/config.kubernetes.io~1local-config
`
	mustWrite(t, filepath.Join(prod, "keep-istiooperators.yaml"), keep)
	appendFile(t, filepath.Join(prod, "kustomization.yaml"), "  - keep-istiooperators.yaml\n")
	r := kustomizeBuild(t, root, nil, "--enable-exec", "overlays/prod")
	if r.err != nil {
		t.Fatalf("kustomize build: %s", r)
	}
	iop := findObject(parseStream(t, r.stdout), "IstioOperator", "istio-system", "installed-state-1-30-2")
	if iop == nil {
		t.Fatalf("no IstioOperator:\n%s", r.stdout)
	}
	ingress, err := iop.Pipe(yaml.Lookup("spec", "components", "ingressGateways", "[name=istio-ingressgateway]", "k8s", "hpaSpec"))
	if err != nil || ingress == nil {
		t.Fatalf("no hpaSpec for istio-ingressgateway: %v\n%s", err, iop.MustString())
	}
	for field, want := range map[string]string{"minReplicas": "3", "maxReplicas": "10"} {
		if got := stringAt(t, ingress, field); got != want {
			t.Errorf("ingress gateway %s = %s, want %s", field, got, want)
		}
	}
}

// TestKustomizeGenerator uses the function as a generator: the Mesh is the
// function's config and the only input.
func TestKustomizeGenerator(t *testing.T) {
	root := overlayTree(t)
	dir := filepath.Join(root, "overlays", "generator")
	mesh, err := os.ReadFile(filepath.Join(root, "overlays", "base", "mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fn := "    config.kubernetes.io/function: |\n      exec:\n        path: ../../bin/meshwright\n"
	mustWrite(t, filepath.Join(dir, "mesh.yaml"), strings.Replace(string(mesh), "  annotations:\n", "  annotations:\n"+fn, 1))
	mustWrite(t, filepath.Join(dir, "kustomization.yaml"), "generators:\n  - mesh.yaml\n")
	r := kustomizeBuild(t, root, nil, "--enable-exec", "overlays/generator")
	if r.err != nil {
		t.Fatalf("kustomize build: %s", r)
	}
	objs := parseStream(t, r.stdout)
	for _, want := range [][3]string{
		{"Namespace", "", "istio-system"},
		{"PeerAuthentication", "istio-system", "default"},
		{"Issuer", "istio-system", "vault-issuer"},
	} {
		if findObject(objs, want[0], want[1], want[2]) == nil {
			t.Errorf("no %s %s/%s generated:\n%s", want[0], want[1], want[2], r.stdout)
		}
	}
	for _, o := range objs {
		if src := o.GetAnnotations()["meshwright.dev/source"]; src != "Mesh/platform" {
			t.Errorf("%s %s: source %q, want only the Mesh's objects", o.GetKind(), o.GetName(), src)
		}
	}
}

// TestKustomizeErrors breaks an input of the base: the build fails and
// kustomize shows the function's message, with the file and line when the
// overlay asks kustomize to record where resources come from. The dev
// overlay patches the Mesh, not the Tenants.
func TestKustomizeErrors(t *testing.T) {
	const origin = "buildMetadata: [originAnnotations]\n"
	breakMesh := func(t *testing.T, base string) int {
		return insertAfter(t, filepath.Join(base, "mesh.yaml"), "    mtls: STRICT", "    bogus: true")
	}
	for _, tt := range []struct {
		name, buildMetadata string
		breakInput          func(*testing.T, string) int
		want                string
	}{
		{"tenant, without origin annotations", "", breakTenant,
			"Tenant/bookinfo: spec.namespaces[0].bogus: field not allowed [MW0100]"},
		{"tenant, with origin annotations", origin, breakTenant,
			"../base/tenants/bookinfo.yaml:%d:7: spec.namespaces[0].bogus: field not allowed [MW0100]"},
		{"patched mesh, with origin annotations", origin, breakMesh,
			"../base/mesh.yaml:%d:5: spec.security.bogus: field not allowed (the field's line in the file: a kustomize patch or transformer changed Mesh/platform before meshwright read it) [MW0100]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := overlayTree(t)
			line := tt.breakInput(t, filepath.Join(root, "overlays", "base"))
			appendFile(t, filepath.Join(root, "overlays", "dev", "kustomization.yaml"), tt.buildMetadata)
			r := kustomizeBuild(t, root, nil, "--enable-exec", "overlays/dev")
			if r.err == nil {
				t.Fatalf("kustomize build succeeded on a broken input: %s", r)
			}
			want := tt.want
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, line)
			}
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		})
	}
}

func parseStream(t *testing.T, s string) []*yaml.RNode {
	t.Helper()
	objs, err := (&kio.ByteReader{Reader: strings.NewReader(s), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("reading kustomize output: %v", err)
	}
	if len(objs) == 0 {
		t.Fatal("kustomize output is empty")
	}
	return objs
}

func findObject(objs []*yaml.RNode, kind, namespace, name string) *yaml.RNode {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	return nil
}

func stringAt(t *testing.T, n *yaml.RNode, path ...string) string {
	t.Helper()
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		return ""
	}
	return yaml.GetValue(v)
}

// checkGolden compares got with the reviewed file, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	if *update {
		mustWrite(t, name, got)
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run make golden and review the result)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (run make golden and review the diff):\n%s", name, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only one side has, enough to see what changed.
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			b.WriteString("- " + l + "\n")
			count[l]--
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] < 0 {
			b.WriteString("+ " + l + "\n")
			count[l]++
		}
	}
	return b.String()
}

func mustWrite(t *testing.T, name, data string) {
	t.Helper()
	if err := writeFile(name, []byte(data)); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, data string) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, name, string(b)+data)
}

// TestKustomizeShards builds the shards of overlays/shards, as one Argo CD
// Application each would: every shard holds only its source's objects, and
// together they are exactly what meshwright renders for the whole base
// (less the IstioOperators, which kustomize leaves out as local-config).
func TestKustomizeShards(t *testing.T) {
	root := overlayTree(t)
	shards := map[string]string{"mesh": "Mesh/platform", "bookinfo": "Tenant/bookinfo", "shop": "Tenant/shop"}
	union := map[string]bool{}
	for _, shard := range []string{"mesh", "bookinfo", "shop"} {
		r := kustomizeBuild(t, root, nil, "--enable-exec", "overlays/shards/"+shard)
		if r.err != nil {
			t.Fatalf("kustomize build overlays/shards/%s: %s", shard, r)
		}
		objs := parseStream(t, r.stdout)
		if len(objs) == 0 {
			t.Fatalf("shard %s is empty: the function did not run", shard)
		}
		for _, o := range objs {
			if source := o.GetAnnotations()["meshwright.dev/source"]; source != shards[shard] {
				t.Errorf("shard %s holds %s %s/%s of %q", shard, o.GetKind(), o.GetNamespace(), o.GetName(), source)
			}
			union[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = true
		}
	}
	stdout, stderr, code := runMeshwright(t, root, nil, "render", "overlays/base")
	if code != 0 {
		t.Fatalf("render overlays/base: exit %d\n%s", code, stderr)
	}
	whole := map[string]bool{}
	for _, o := range parseStream(t, stdout) {
		if o.GetAnnotations()["config.kubernetes.io/local-config"] != "true" {
			whole[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = true
		}
	}
	for k := range whole {
		if !union[k] {
			t.Errorf("%s is in no shard", k)
		}
	}
	for k := range union {
		if !whole[k] {
			t.Errorf("%s is in a shard but not in the whole render", k)
		}
	}
}

// TestKustomizeShardsReadEveryInput: each shard of overlays/shards reads the
// whole spec, so an error in another tenant's file refuses it, with that
// file and line: a shard that read only its own tenant would build.
func TestKustomizeShardsReadEveryInput(t *testing.T) {
	for shard, broken := range map[string]string{"mesh": "shop", "bookinfo": "shop", "shop": "bookinfo"} {
		t.Run(shard, func(t *testing.T) {
			root := overlayTree(t)
			file := filepath.Join(root, "overlays", "base", "tenants", broken+".yaml")
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, file, strings.Replace(string(b), "\nspec:\n", "\nspec:\n  bogus: true\n", 1))
			r := kustomizeBuild(t, root, nil, "--enable-exec", "overlays/shards/"+shard)
			if r.err == nil {
				t.Fatalf("shard %s built with an error in tenants/%s.yaml:\n%s", shard, broken, r)
			}
			if want := "tenants/" + broken + ".yaml:"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "spec.bogus") {
				t.Errorf("shard %s: want the error at %s... spec.bogus:\n%s", shard, want, r)
			}
		})
	}
}
