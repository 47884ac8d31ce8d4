package fn

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/frameworktestutil"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshwright/meshwright/internal/testspec"
)

var update = flag.Bool("update", false, "rewrite the expected.yaml and errors.txt of the cases in testdata/ from what the function returns")

// TestProcessor runs the cases in testdata/, one directory each:
//
//   - input.yaml is the ResourceList the function reads;
//   - config.yaml, when there is one, is its functionConfig;
//   - expected.yaml is the ResourceList the function returns;
//   - errors.txt, when the function fails, is its error, exactly. On failure
//     expected.yaml is still what it returns: the items as they came, and
//     the results.
//
// `go test ./fn -update` rewrites expected.yaml and errors.txt from what the
// function returns; read the diff before committing it.
func TestProcessor(t *testing.T) {
	checker := frameworktestutil.ProcessorResultsChecker{
		UpdateExpectedFromActual: *update,
		Processor:                func() framework.ResourceListProcessor { return withConfigFile{} },
		ErrorAssertionFunc:       assertFailure,
	}
	checker.Assert(t)
}

// withConfigFile is Processor with config.yaml as the functionConfig. The
// checker runs each case in its directory and itself reads only input.yaml.
type withConfigFile struct{}

func (withConfigFile) Process(rl *framework.ResourceList) error {
	b, err := os.ReadFile(frameworktestutil.DefaultConfigInputFilename)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case rl.FunctionConfig != nil:
		return fmt.Errorf("the case has a functionConfig both in %s and in its input", frameworktestutil.DefaultConfigInputFilename)
	default:
		if rl.FunctionConfig, err = yaml.Parse(string(b)); err != nil {
			return err
		}
	}
	return Processor{}.Process(rl)
}

// assertFailure compares the error with errors.txt, as text: the checker's
// default reads each line as a regular expression, where "[MW0100]" matches
// one letter. The checker looks no further than the error, so this also
// runs the case again to compare what the function returned with
// expected.yaml, and checks that it returned its items exactly as they
// came: on error kpt must have nothing new to write.
func assertFailure(t *testing.T, expected, actual string) {
	t.Helper()
	frameworktestutil.RequireStrippedStringsEqual(t, expected, actual)
	input, err := os.ReadFile(frameworktestutil.DefaultInputFilename)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := framework.Execute(withConfigFile{}, &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: &out}); err == nil {
		t.Fatal("the second run did not fail")
	}
	want, err := os.ReadFile(frameworktestutil.DefaultOutputFilename)
	if err != nil {
		t.Fatalf("a failing case needs %s too, what the function returns: %v", frameworktestutil.DefaultOutputFilename, err)
	}
	frameworktestutil.RequireStrippedStringsEqual(t, string(want), out.String())
	if in, got := itemsText(t, string(input)), itemsText(t, out.String()); in != got {
		t.Errorf("the items changed on error:\n--- input\n%s\n--- output\n%s", in, got)
	}
}

// itemsText is the items of a ResourceList as one text, without kio's
// reader annotations (the checker drops them from the output).
func itemsText(t *testing.T, rl string) string {
	t.Helper()
	var b bytes.Buffer
	if err := (kio.ByteWriter{Writer: &b}).Write(readItems(t, rl)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRerunCase keeps the kpt-package-rerun case what it says: its input is
// the kpt-package case's output, and it expects that output back unchanged.
// With -update it copies the kpt-package case's new output there.
func TestRerunCase(t *testing.T) {
	previous, err := os.ReadFile("testdata/kpt-package/expected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"input.yaml", "expected.yaml"} {
		file := filepath.Join("testdata/kpt-package-rerun", name)
		if *update {
			if err := os.WriteFile(file, previous, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, previous) {
			t.Errorf("%s is not testdata/kpt-package/expected.yaml (%v): run go test ./fn -update", file, err)
		}
	}
}

// TestReaderAnnotations runs the kpt-package case as cmd/meshwright runs the
// function, keeping kio's reader annotations, which the checker drops:
// what meshwright does not own comes back exactly as it came, and each
// generated object is the first and only document of its file, indented
// as the encoder writes it.
func TestReaderAnnotations(t *testing.T) {
	input, err := os.ReadFile("testdata/kpt-package/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := execute(string(input))
	if err != nil {
		t.Fatal(err)
	}
	in := readItems(t, string(input))
	for _, n := range readItems(t, out) {
		ann := n.GetAnnotations()
		switch {
		case isGenerated(n):
			if ann[kioutil.IndexAnnotation] != "0" || ann[kioutil.LegacyIndexAnnotation] != "0" || ann[kioutil.SeqIndentAnnotation] != "wide" {
				t.Errorf("%s %s: annotations %v", n.GetKind(), n.GetName(), ann)
			}
		case !isInput(n):
			if want := find(in, n.GetKind(), n.GetName()); want == nil || n.MustString() != want.MustString() {
				t.Errorf("%s %s changed:\n%s", n.GetKind(), n.GetName(), n.MustString())
			}
		}
	}
}

const (
	// fnBrokenTenant has an unknown field on line 8.
	fnBrokenTenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  namespaces:
    - name: shop
      bogus: true
`
)

// TestLinesInUserFiles covers what needs files on disk: when the function
// can read the file a resource came from (a kpt exec function, given
// package-path; kustomize, given origin annotations, runs it in the
// kustomization's directory), results give the line in that file. Each
// case fails on Tenant/shop's unknown field; the items come back as they
// came.
func TestLinesInUserFiles(t *testing.T) {
	pkg := t.TempDir()
	writeFile(t, filepath.Join(pkg, "tenants/shop.yaml"), fnBrokenTenant)
	// the Tenant as the second document of a file, after a comment
	writeFile(t, filepath.Join(pkg, "all.yaml"), "# all inputs\n"+testspec.Mesh+"---\n"+fnBrokenTenant)
	t.Chdir(pkg) // kustomize's origin paths are relative to where it runs the function
	patched := strings.Replace(fnBrokenTenant, "spec:\n", "spec:\n  owners: []\n", 1)

	kpt := func(path string, index int) map[string]string {
		i := strconv.Itoa(index)
		return map[string]string{
			kioutil.PathAnnotation: path, kioutil.LegacyPathAnnotation: path,
			kioutil.IndexAnnotation: i, kioutil.LegacyIndexAnnotation: i,
			annotationPackagePath: pkg,
		}
	}
	origin := func(path string) map[string]string {
		return map[string]string{annotationOrigin: "path: " + path + "\n"}
	}
	tests := []struct {
		name            string
		tenant          string            // the Tenant as the function receives it
		mesh, tenantAnn map[string]string // annotations
		message         string
		file            *framework.File
	}{{
		name:      "kpt exec",
		tenant:    fnBrokenTenant,
		mesh:      kpt("all.yaml", 0),
		tenantAnn: kpt("tenants/shop.yaml", 0),
		message:   "tenants/shop.yaml:8:7: spec.namespaces[0].bogus: field not allowed [MW0100]",
		file:      &framework.File{Path: "tenants/shop.yaml"},
	}, {
		name:      "kpt exec: second document of a file",
		tenant:    fnBrokenTenant,
		mesh:      kpt("all.yaml", 0),
		tenantAnn: kpt("all.yaml", 1),
		message:   "all.yaml:20:7: spec.namespaces[0].bogus: field not allowed [MW0100]",
		file:      &framework.File{Path: "all.yaml", Index: 1},
	}, {
		name:      "kpt exec: an earlier function changed the resource",
		tenant:    patched,
		mesh:      kpt("all.yaml", 0),
		tenantAnn: kpt("tenants/shop.yaml", 0),
		message:   "tenants/shop.yaml:8:7: spec.namespaces[0].bogus: field not allowed (the field's line in the file: an earlier function changed Tenant/shop before meshwright read it) [MW0100]",
		file:      &framework.File{Path: "tenants/shop.yaml"},
	}, {
		name:      "kustomize origin",
		tenant:    fnBrokenTenant,
		mesh:      origin("all.yaml"),
		tenantAnn: origin("tenants/shop.yaml"),
		message:   "tenants/shop.yaml:8:7: spec.namespaces[0].bogus: field not allowed [MW0100]",
		file:      &framework.File{Path: "tenants/shop.yaml"},
	}, {
		name:      "kustomize origin: the document of that kind and name",
		tenant:    fnBrokenTenant,
		mesh:      origin("all.yaml"),
		tenantAnn: origin("all.yaml"),
		message:   "all.yaml:20:7: spec.namespaces[0].bogus: field not allowed [MW0100]",
		file:      &framework.File{Path: "all.yaml", Index: 1},
	}, {
		name:      "kustomize origin: a patch changed the resource",
		tenant:    patched,
		mesh:      origin("all.yaml"),
		tenantAnn: origin("all.yaml"),
		message:   "all.yaml:20:7: spec.namespaces[0].bogus: field not allowed (the field's line in the file: a kustomize patch or transformer changed Tenant/shop before meshwright read it) [MW0100]",
		file:      &framework.File{Path: "all.yaml", Index: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := resourceList(t, annotated(t, testspec.Mesh, tt.mesh), annotated(t, tt.tenant, tt.tenantAnn))
			out, err := execute(input)
			if err == nil {
				t.Fatal("the function did not fail")
			}
			if in, got := itemsText(t, input), itemsText(t, out); in != got {
				t.Errorf("the items changed on error:\n%s", got)
			}
			results := readResults(t, out)
			if len(results) != 1 {
				t.Fatalf("results = %v, want one", results)
			}
			r := results[0]
			if r.Severity != framework.Error || r.Message != tt.message {
				t.Errorf("result = %s %q\nwant       %q", r.Severity, r.Message, tt.message)
			}
			if !reflect.DeepEqual(r.File, tt.file) {
				t.Errorf("file = %+v, want %+v", r.File, tt.file)
			}
			if r.Field == nil || r.Field.Path != "spec.namespaces[0].bogus" {
				t.Errorf("field = %+v", r.Field)
			}
			if r.ResourceRef == nil || r.ResourceRef.Kind != "Tenant" || r.ResourceRef.Name != "shop" || r.Tags["code"] != "MW0100" {
				t.Errorf("resourceRef = %+v, tags = %v", r.ResourceRef, r.Tags)
			}
		})
	}
}

// execute runs the function as cmd/meshwright does.
func execute(input string) (string, error) {
	var out bytes.Buffer
	_, err := Execute(strings.NewReader(input), &out)
	return out.String(), err
}

func annotated(t *testing.T, text string, ann map[string]string) *yaml.RNode {
	t.Helper()
	n := yaml.MustParse(text)
	keys := make([]string, 0, len(ann))
	for k := range ann {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := n.PipeE(yaml.SetAnnotation(k, ann[k])); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func resourceList(t *testing.T, items ...*yaml.RNode) string {
	t.Helper()
	var b bytes.Buffer
	w := kio.ByteWriter{Writer: &b, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, KeepReaderAnnotations: true}
	if err := w.Write(items); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func readItems(t *testing.T, rl string) []*yaml.RNode {
	t.Helper()
	items, err := (&kio.ByteReader{Reader: strings.NewReader(rl), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func readResults(t *testing.T, rl string) framework.Results {
	t.Helper()
	r := &kio.ByteReader{Reader: strings.NewReader(rl), OmitReaderAnnotations: true}
	if _, err := r.Read(); err != nil || r.Results == nil {
		t.Fatalf("no results (%v) in\n%s", err, rl)
	}
	var results framework.Results
	if err := yaml.Unmarshal([]byte(r.Results.MustString()), &results); err != nil {
		t.Fatal(err)
	}
	return results
}

func find(items []*yaml.RNode, kind, name string) *yaml.RNode {
	for _, n := range items {
		if n.GetKind() == kind && n.GetName() == name {
			return n
		}
	}
	return nil
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
