package conformance

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

var (
	upstreamOnce      sync.Once
	upstreamValidator *Validator
	upstreamErr       error
)

// validator returns the Validator for the upstream CRDs, built once: reading
// Istio's CRDs and compiling their CEL rules takes a few seconds.
func validator(t *testing.T) *Validator {
	t.Helper()
	upstreamOnce.Do(func() { upstreamValidator, upstreamErr = NewUpstreamValidator() })
	if upstreamErr != nil {
		t.Fatalf("loading upstream CRDs: %v", upstreamErr)
	}
	return upstreamValidator
}

// TestRenderedObjectsConformToUpstream validates every object of every
// rendered tree and overlay output against its upstream definition.
func TestRenderedObjectsConformToUpstream(t *testing.T) {
	v := validator(t)
	outputs := append(trees(t), overlayOutputs(t)...)
	perKind := map[string]int{}
	for _, tree := range outputs {
		docs, err := ReadTree(tree)
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) == 0 {
			t.Errorf("%s: no objects", tree)
		}
		for _, d := range docs {
			perKind[d.Object.GetKind()]++
			for _, e := range v.Validate(d) {
				t.Errorf("%s: %v", d, e)
			}
		}
	}
	t.Logf("objects validated in %d trees and overlay outputs, by kind:\n%s", len(outputs), countTable(perKind))
}

// TestWorkloadFixturesConformToUpstream keeps the analysis fixtures honest: a
// malformed fixture could otherwise hide an analyzer finding.
func TestWorkloadFixturesConformToUpstream(t *testing.T) {
	v := validator(t)
	docs, err := ReadTree(filepath.Join("testdata", "workloads"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		for _, e := range v.Validate(d) {
			t.Errorf("%s: %v", d, e)
		}
	}
}

func countTable(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	total := 0
	for k, n := range counts {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-22s %4d\n", k, counts[k])
	}
	fmt.Fprintf(&b, "  %-22s %4d", "total", total)
	return b.String()
}

// TestValidatorRefusesBrokenObjects proves each validator is not vacuous: one
// deliberately broken object per way of being wrong, per family of kinds.
func TestValidatorRefusesBrokenObjects(t *testing.T) {
	v := validator(t)
	for _, c := range brokenObjects {
		t.Run(c.name, func(t *testing.T) {
			errs := v.Validate(firstDoc(t, c.name, c.yaml))
			if len(errs) == 0 {
				t.Fatalf("accepted; want an error containing %q", c.want)
			}
			if !strings.Contains(errs.ToAggregate().Error(), c.want) {
				t.Fatalf("errors %v\ndo not contain %q", errs, c.want)
			}
		})
	}
}

// TestValidatorAcceptsWellFormedObjects is the counterpart of the broken
// table: the same objects, unbroken, pass, so each broken case fails for the
// reason it names.
func TestValidatorAcceptsWellFormedObjects(t *testing.T) {
	v := validator(t)
	for _, c := range wellFormedObjects {
		t.Run(c.name, func(t *testing.T) {
			if errs := v.Validate(firstDoc(t, c.name, c.yaml)); len(errs) > 0 {
				t.Fatalf("refused: %v", errs)
			}
		})
	}
}

func firstDoc(t *testing.T, name, yaml string) Doc {
	t.Helper()
	docs, err := ParseDocs(name, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", name, len(docs))
	}
	return docs[0]
}

func TestParseDocsRefusesDuplicateKeys(t *testing.T) {
	_, err := ParseDocs("dup.yaml", []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nmetadata: {name: b}\n"))
	if err == nil || !strings.Contains(err.Error(), "already set") {
		t.Fatalf("got %v, want a duplicate key error", err)
	}
}

func TestTreeName(t *testing.T) {
	cases := map[string]string{
		"../../examples/reference-architecture/rendered": "reference-architecture",
		"../../examples/canary-upgrade/before/rendered":  "canary-upgrade-before",
		"../../testdata/golden/kubernetes-1-24/rendered": "golden-kubernetes-1-24",
		"../../e2e/testdata/golden/kustomize-prod.yaml":  "e2e-kustomize-prod",
	}
	for tree, want := range cases {
		if got := TreeName(repoRoot, tree); got != want {
			t.Errorf("TreeName(%q) = %q, want %q", tree, got, want)
		}
	}
}

// TestDocOfValidatesGoObjects: objects built in Go are checked like files.
func TestDocOfValidatesGoObjects(t *testing.T) {
	v := validator(t)
	good := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "bookinfo"}}
	d, err := DocOf("good", good)
	if err != nil {
		t.Fatal(err)
	}
	if errs := v.Validate(d); len(errs) > 0 {
		t.Fatalf("refused: %v", errs)
	}
	bad := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "Bookinfo"}}
	if d, err = DocOf("bad", bad); err != nil {
		t.Fatal(err)
	}
	if errs := v.Validate(d); len(errs) == 0 {
		t.Fatal("accepted an invalid namespace name")
	}
}
