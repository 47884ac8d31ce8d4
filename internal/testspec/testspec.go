// Package testspec is test support: minimal valid inputs, and a way to lay
// a YAML fragment over a valid base document, so a table case states only
// what it changes.
package testspec

import (
	"path/filepath"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Mesh is a valid Mesh with only its required fields.
const Mesh = `apiVersion: meshwright.dev/v1alpha1
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

// Tenant is a valid Tenant with one namespace.
const Tenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  namespaces:
    - name: shop
`

// Mapping parses text, which must hold one YAML mapping.
func Mapping(t testing.TB, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("not a mapping:\n%s", text)
	}
	return doc.Content[0]
}

// Merge lays src over dst: mappings merge key by key, anything else
// replaces, and the scalar "(delete)" removes the key.
func Merge(dst, src *yaml.Node) {
	for i := 0; i+1 < len(src.Content); i += 2 {
		key, val := src.Content[i], src.Content[i+1]
		j := 0
		for j < len(dst.Content) && dst.Content[j].Value != key.Value {
			j += 2
		}
		switch {
		case val.Kind == yaml.ScalarNode && val.Value == "(delete)":
			if j < len(dst.Content) {
				dst.Content = slices.Delete(dst.Content, j, j+2)
			}
		case j >= len(dst.Content):
			dst.Content = append(dst.Content, key, val)
		case val.Kind == yaml.MappingNode && dst.Content[j+1].Kind == yaml.MappingNode:
			Merge(dst.Content[j+1], val)
		default:
			dst.Content[j+1] = val
		}
	}
}

// SpecDirs are the spec/ directories of every example and golden case, the
// inputs whose rendered output the repository reviews, under root (the
// repository's top, relative to the test's package).
func SpecDirs(t testing.TB, root string) []string {
	t.Helper()
	var dirs []string
	for _, pattern := range []string{"examples/*/spec", "examples/*/*/spec", "testdata/golden/*/spec"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, m...)
	}
	if len(dirs) == 0 {
		t.Fatalf("no spec directories under %s", root)
	}
	return dirs
}
