package fn

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const (
	fnMesh = `apiVersion: meshwright.dev/v1alpha1
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
	fnTenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  namespaces:
    - name: shop
`
	// fnBrokenTenant has an unknown field on line 7.
	fnBrokenTenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  namespaces:
    - name: shop
      bogus: true
`
	fnKptfile = `apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: pkg
pipeline:
  mutators:
    - exec: meshwright
`
	fnUnrelated = `apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
  labels:
    app.kubernetes.io/managed-by: someone-else
data:
  key: value
`
)

// kptPackage is what kpt passes for a package holding a Mesh, a Tenant and
// a resource that is not meshwright's.
var kptPackage = []item{
	{text: fnKptfile, path: "Kptfile"},
	{text: fnMesh, path: "mesh.yaml"},
	{text: fnTenant, path: "tenants/shop.yaml"},
	{text: fnUnrelated, path: "unrelated.yaml"},
}

// item is a resource of a test ResourceList with the annotations kpt adds.
type item struct {
	text  string
	path  string // config.kubernetes.io/path; "" as kustomize passes it
	index int
	pkg   string // internal.config.kubernetes.io/package-path
}

// resourceList builds the function's input; fc "" means no functionConfig.
func resourceList(t *testing.T, fc string, items ...item) string {
	t.Helper()
	var nodes []*yaml.RNode
	for _, it := range items {
		n := yaml.MustParse(it.text)
		if it.path != "" {
			annotate(t, n, map[string]string{
				kioutil.PathAnnotation: it.path, kioutil.LegacyPathAnnotation: it.path,
				kioutil.IndexAnnotation: strconv.Itoa(it.index), kioutil.LegacyIndexAnnotation: strconv.Itoa(it.index),
			})
		}
		if it.pkg != "" {
			annotate(t, n, map[string]string{annotationPackagePath: it.pkg})
		}
		nodes = append(nodes, n)
	}
	w := kio.ByteWriter{WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, KeepReaderAnnotations: true}
	if fc != "" {
		w.FunctionConfig = yaml.MustParse(fc)
	}
	var b bytes.Buffer
	w.Writer = &b
	if err := w.Write(nodes); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func annotate(t *testing.T, n *yaml.RNode, ann map[string]string) {
	t.Helper()
	for _, k := range sortedStrings(ann) {
		if err := n.PipeE(yaml.SetAnnotation(k, ann[k])); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Exit statuses as framework.Execute's error maps to them.
const (
	exitOK    = 0
	exitError = 1
)

// fnOutput is what one run of the function returned.
type fnOutput struct {
	raw     string
	stderr  string
	code    int
	items   []*yaml.RNode
	results framework.Results
}

func runFunction(t *testing.T, input string) fnOutput {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := exitOK
	err := framework.Execute(Processor{}, &kio.ByteReadWriter{Reader: strings.NewReader(input), Writer: &stdout, KeepReaderAnnotations: true})
	if err != nil {
		code = exitError
		stderr.WriteString(err.Error())
	}
	r := &kio.ByteReader{Reader: strings.NewReader(stdout.String()), OmitReaderAnnotations: true}
	items, err := r.Read()
	if err != nil {
		t.Fatalf("reading the output: %v\n%s", err, stdout.String())
	}
	out := fnOutput{raw: stdout.String(), stderr: stderr.String(), code: code, items: items}
	if r.Results != nil {
		if err := yaml.Unmarshal([]byte(r.Results.MustString()), &out.results); err != nil {
			t.Fatalf("reading the results: %v", err)
		}
	}
	return out
}

// bySource is the output's items grouped by the meshwright.dev/source
// annotation ("" for items the function did not generate).
func (o fnOutput) bySource() map[string][]*yaml.RNode {
	m := map[string][]*yaml.RNode{}
	for _, n := range o.items {
		src := ""
		if isGenerated(n) {
			src = n.GetAnnotations()["meshwright.dev/source"]
		}
		m[src] = append(m[src], n)
	}
	return m
}

func find(items []*yaml.RNode, kind, name string) *yaml.RNode {
	for _, n := range items {
		if n.GetKind() == kind && n.GetName() == name {
			return n
		}
	}
	return nil
}

func TestFunctionGeneratesFromMeshConfig(t *testing.T) {
	// kustomize generator: the Mesh is the functionConfig and there are no items
	out := runFunction(t, resourceList(t, fnMesh))
	if out.code != exitOK {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	if len(out.items) == 0 {
		t.Fatal("no objects generated")
	}
	for _, n := range out.items {
		if !isGenerated(n) {
			t.Errorf("%s %s: not marked as generated", n.GetKind(), n.GetName())
		}
		p := n.GetAnnotations()[kioutil.PathAnnotation]
		if !strings.HasPrefix(p, "rendered/mesh/platform/") || n.GetAnnotations()[kioutil.LegacyPathAnnotation] != p {
			t.Errorf("%s %s: path annotations %q, %q", n.GetKind(), n.GetName(), p, n.GetAnnotations()[kioutil.LegacyPathAnnotation])
		}
	}
	if find(out.items, "Namespace", "istio-system") == nil {
		t.Error("no Namespace istio-system")
	}
	if find(out.items, "Mesh", "platform") != nil {
		t.Error("the functionConfig Mesh is in the output: kustomize would emit it")
	}
}

func TestFunctionTransformsItems(t *testing.T) {
	in := resourceList(t, "", kptPackage...)
	out := runFunction(t, in)
	if out.code != exitOK {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	inputItems := readItems(t, in)
	for _, id := range [][2]string{{"Kptfile", "pkg"}, {"ConfigMap", "unrelated"}} {
		want, got := find(inputItems, id[0], id[1]), find(out.items, id[0], id[1])
		if got == nil || got.MustString() != want.MustString() {
			t.Errorf("%s %s not passed through untouched:\n%v", id[0], id[1], got)
		}
	}
	for _, kind := range []string{"Mesh", "Tenant"} {
		n := findKind(out.items, kind)
		if n == nil || n.GetAnnotations()["config.kubernetes.io/local-config"] != "true" {
			t.Errorf("%s not kept as local-config: %v", kind, n)
		}
	}
	ns := find(out.items, "Namespace", "shop")
	if ns == nil {
		t.Fatal("Tenant/shop rendered no Namespace shop")
	}
	if got := ns.GetAnnotations()[kioutil.PathAnnotation]; got != "rendered/tenant/shop/_cluster/namespace-shop.yaml" {
		t.Errorf("Namespace shop path = %q", got)
	}
}

func readItems(t *testing.T, rl string) []*yaml.RNode {
	t.Helper()
	items, err := (&kio.ByteReader{Reader: strings.NewReader(rl), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func findKind(items []*yaml.RNode, kind string) *yaml.RNode {
	for _, n := range items {
		if n.GetKind() == kind {
			return n
		}
	}
	return nil
}

func TestFunctionIsIdempotent(t *testing.T) {
	in := resourceList(t, "", kptPackage...)
	first := runFunction(t, in)
	second := runFunction(t, first.raw)
	if first.code != exitOK || second.code != exitOK {
		t.Fatalf("exit %d, %d: %s%s", first.code, second.code, first.stderr, second.stderr)
	}
	if first.raw != second.raw {
		t.Errorf("second run changed the output:\n--- first\n%s\n--- second\n%s", first.raw, second.raw)
	}
}

func TestFunctionPrunesRemovedTenant(t *testing.T) {
	first := runFunction(t, resourceList(t, "",
		item{text: fnMesh, path: "mesh.yaml"},
		item{text: fnTenant, path: "tenants/shop.yaml"}))
	if len(first.bySource()["Tenant/shop"]) == 0 {
		t.Fatalf("Tenant/shop rendered nothing: %s", first.stderr)
	}
	// the tenant's file is deleted: its objects are still in the package
	var kept []*yaml.RNode
	for _, n := range first.items {
		if n.GetKind() != "Tenant" {
			kept = append(kept, n)
		}
	}
	var b bytes.Buffer
	if err := (kio.ByteWriter{Writer: &b, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, KeepReaderAnnotations: true}).Write(kept); err != nil {
		t.Fatal(err)
	}
	second := runFunction(t, b.String())
	if second.code != exitOK {
		t.Fatalf("exit %d: %s", second.code, second.stderr)
	}
	if got := second.bySource()["Tenant/shop"]; len(got) != 0 {
		t.Errorf("%d objects of the deleted Tenant/shop remain", len(got))
	}
	if len(second.bySource()["Mesh/platform"]) != len(first.bySource()["Mesh/platform"]) {
		t.Error("the Mesh's objects changed")
	}
}

func TestFunctionWarningsDoNotFail(t *testing.T) {
	in, err := os.ReadFile("../testdata/warnings/mutual-without-client-ca/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.SplitN(string(in), "---\n", 2)
	out := runFunction(t, resourceList(t, "",
		item{text: docs[0], path: "mesh.yaml"},
		item{text: docs[1], path: "tenants/partners.yaml"}))
	if out.code != exitOK {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	if len(out.results) != 1 || out.results[0].Severity != framework.Warning {
		t.Fatalf("results = %v, want one warning", out.results)
	}
	if len(out.bySource()["Tenant/partners"]) == 0 {
		t.Error("a warning stopped the render")
	}
	if r := out.results[0]; r.File == nil || r.File.Path != "tenants/partners.yaml" || !strings.Contains(r.Message, "warning: spec.services[0].ingress.tls") || r.Tags["code"] != "MW0209" {
		t.Errorf("the warning does not point at the file and field, with its code: %+v", r)
	}
}

func TestFunctionConfigs(t *testing.T) {
	list := "apiVersion: v1\nkind: List\nitems:\n- " + indent(fnMesh) + "- " + indent(fnTenant)
	// items carry kpt's path annotations: the framework drops paths from
	// the output when the input items have none, as it must for kustomize
	tests := []struct {
		name     string
		fc       string
		items    []item
		wantPath string // path annotation of Namespace shop
	}{
		{"List of Mesh and Tenant", list, nil, "rendered/tenant/shop/_cluster/namespace-shop.yaml"},
		{"Mesh config, Tenant item", fnMesh, []item{{text: fnTenant, path: "shop.yaml"}}, "rendered/tenant/shop/_cluster/namespace-shop.yaml"},
		{"ConfigMap outputDir", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {outputDir: deploy/istio}\n",
			[]item{{text: fnMesh, path: "mesh.yaml"}, {text: fnTenant, path: "shop.yaml"}}, "deploy/istio/tenant/shop/_cluster/namespace-shop.yaml"},
		{"kpt configPath: the Mesh both config and item", fnMesh, []item{{text: fnMesh, path: "mesh.yaml"}, {text: fnTenant, path: "shop.yaml"}},
			"rendered/tenant/shop/_cluster/namespace-shop.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := runFunction(t, resourceList(t, tt.fc, tt.items...))
			if out.code != exitOK {
				t.Fatalf("exit %d: %s", out.code, out.stderr)
			}
			ns := find(out.items, "Namespace", "shop")
			if ns == nil {
				t.Fatal("no Namespace shop")
			}
			if got := ns.GetAnnotations()[kioutil.PathAnnotation]; got != tt.wantPath {
				t.Errorf("path = %q, want %q", got, tt.wantPath)
			}
		})
	}
}

func indent(s string) string {
	return strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// TestFunctionErrors checks that every failure returns the input unchanged
// with results naming what the user must fix, and where.
func TestFunctionErrors(t *testing.T) {
	pkg := t.TempDir()
	writeFile(t, filepath.Join(pkg, "tenants/shop.yaml"), fnBrokenTenant)
	// the broken tenant as the second document of a file, after a comment
	writeFile(t, filepath.Join(pkg, "all.yaml"), "# all inputs\n"+fnMesh+"---\n"+fnBrokenTenant)
	changed := strings.Replace(fnBrokenTenant, "spec:\n", "spec:\n  owners: []\n", 1)

	tests := []struct {
		name    string
		fc      string
		items   []item
		message string
		file    *framework.File
		field   string
	}{{
		name:    "kpt exec: line in the user's file",
		items:   []item{{text: fnMesh, path: "mesh.yaml"}, {text: fnBrokenTenant, path: "tenants/shop.yaml", pkg: pkg}},
		message: "tenants/shop.yaml:8:7: spec.namespaces[0].bogus: field not allowed [MW0100]",
		file:    &framework.File{Path: "tenants/shop.yaml"},
		field:   "spec.namespaces[0].bogus",
	}, {
		name:    "kpt exec: second document of a file",
		items:   []item{{text: fnMesh, path: "all.yaml", pkg: pkg}, {text: fnBrokenTenant, path: "all.yaml", index: 1, pkg: pkg}},
		message: "all.yaml:20:7: spec.namespaces[0].bogus: field not allowed [MW0100]",
		file:    &framework.File{Path: "all.yaml", Index: 1},
		field:   "spec.namespaces[0].bogus",
	}, {
		name:    "kpt container: the file is out of reach",
		items:   []item{{text: fnMesh, path: "mesh.yaml"}, {text: fnBrokenTenant, path: "tenants/shop.yaml", pkg: filepath.Join(pkg, "elsewhere")}},
		message: "tenants/shop.yaml: spec.namespaces[0].bogus: field not allowed (line 8 of Tenant/shop as the function received it, not of the file: the function cannot read tenants/shop.yaml) [MW0100]",
		file:    &framework.File{Path: "tenants/shop.yaml"},
		field:   "spec.namespaces[0].bogus",
	}, {
		name:    "kpt: an earlier function changed the resource",
		items:   []item{{text: fnMesh, path: "mesh.yaml"}, {text: changed, path: "tenants/shop.yaml", pkg: pkg}},
		message: "tenants/shop.yaml:8:7: spec.namespaces[0].bogus: field not allowed (the field's line in the file: an earlier function changed Tenant/shop before meshwright read it) [MW0100]",
		file:    &framework.File{Path: "tenants/shop.yaml"},
		field:   "spec.namespaces[0].bogus",
	}, {
		name:    "kustomize: no file, no line",
		fc:      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: meshwright}\n",
		items:   []item{{text: fnMesh}, {text: fnBrokenTenant}},
		message: "Tenant/shop: spec.namespaces[0].bogus: field not allowed [MW0100]",
		field:   "spec.namespaces[0].bogus",
	}, {
		name:    "no Mesh",
		items:   []item{{text: fnTenant, path: "tenants/shop.yaml"}},
		message: "tenants/shop.yaml: no Mesh found: a render needs exactly one Mesh [MW0012]",
		file:    &framework.File{Path: "tenants/shop.yaml"},
	}, {
		name:    "unknown functionConfig kind",
		fc:      "apiVersion: example.com/v1\nkind: Settings\nmetadata: {name: x}\n",
		items:   []item{{text: fnMesh}},
		message: "functionConfig is example.com/v1 Settings: want a meshwright.dev/v1alpha1 Mesh or Tenant, a List of them, or a ConfigMap with settings (data.outputDir)",
	}, {
		name:    "unknown setting",
		fc:      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {outputdir: x}\n",
		items:   []item{{text: fnMesh}},
		message: "functionConfig data.outputdir: unknown setting (known: outputDir)",
	}, {
		name:    "outputDir outside the package",
		fc:      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {outputDir: ../x}\n",
		items:   []item{{text: fnMesh}},
		message: `functionConfig data.outputDir "../x": must be a relative path inside the package`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := append([]item{{text: fnKptfile, path: "Kptfile"}, {text: fnUnrelated, path: "unrelated.yaml"}}, tt.items...)
			// a previous render is in the package: it must stay as it is
			prev := runFunction(t, resourceList(t, "", item{text: fnMesh, path: "mesh.yaml"}, item{text: fnTenant, path: "tenants/shop.yaml"}))
			in := resourceList(t, tt.fc, items...)
			in = appendItems(t, in, prev.bySource()["Tenant/shop"])
			out := runFunction(t, in)
			if out.code != exitError {
				t.Fatalf("exit %d, want %d", out.code, exitError)
			}
			if !sameItems(readItems(t, in), out.items) {
				t.Errorf("the items changed on error:\n%s", out.raw)
			}
			if len(out.results) != 1 {
				t.Fatalf("results = %v, want one", out.results)
			}
			r := out.results[0]
			if r.Message != tt.message || r.Severity != framework.Error {
				t.Errorf("result = %s %q\nwant       %q", r.Severity, r.Message, tt.message)
			}
			if !reflect.DeepEqual(r.File, tt.file) {
				t.Errorf("file = %+v, want %+v", r.File, tt.file)
			}
			if got := fieldPath(r); got != tt.field {
				t.Errorf("field = %q, want %q", got, tt.field)
			}
			if tt.field != "" && (r.ResourceRef == nil || r.ResourceRef.Kind != "Tenant" || r.ResourceRef.Name != "shop") {
				t.Errorf("resourceRef = %+v, want Tenant shop", r.ResourceRef)
			}
		})
	}
}

func fieldPath(r *framework.Result) string {
	if r.Field == nil {
		return ""
	}
	return r.Field.Path
}

func appendItems(t *testing.T, rl string, extra []*yaml.RNode) string {
	t.Helper()
	r := &kio.ByteReader{Reader: strings.NewReader(rl), OmitReaderAnnotations: true}
	items, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := kio.ByteWriter{Writer: &b, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion,
		KeepReaderAnnotations: true, FunctionConfig: r.FunctionConfig}
	if err := w.Write(append(items, extra...)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func sameItems(a, b []*yaml.RNode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		var va, vb any
		if yamlv3.Unmarshal([]byte(a[i].MustString()), &va) != nil || yamlv3.Unmarshal([]byte(b[i].MustString()), &vb) != nil {
			return false
		}
		if !reflect.DeepEqual(va, vb) {
			return false
		}
	}
	return true
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
