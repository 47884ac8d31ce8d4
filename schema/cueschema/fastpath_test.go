package cueschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/schema"
)

// The fast path may only accept what CUE accepts, and must then decode to
// what CUE decodes to. These tests hold it to CUE over every Tenant the
// repository holds, over a mutation of every field of a Tenant that uses
// every field, and under fuzzing; any disagreement fails.

// agree validates value both ways and fails t when the fast path accepts
// something CUE refuses or decodes differently. It tells whether the fast
// path accepted.
func agree(t *testing.T, what string, value any) (fast bool) {
	t.Helper()
	defaulted, fast := acceptTenant(value)
	if !fast {
		return false
	}
	c, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	var byCUE, byFastPath any
	if diags := c.validateWithCUE(Document{Kind: schema.KindTenant, Value: value}, &byCUE); len(diags) > 0 {
		t.Errorf("%s: the fast path accepts what CUE refuses: %v", what, schema.Diagnostics(diags))
		return true
	}
	if err := decodeJSON(defaulted, &byFastPath); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(byCUE, byFastPath) {
		want, _ := json.MarshalIndent(byCUE, "", "  ")
		got, _ := json.MarshalIndent(byFastPath, "", "  ")
		t.Errorf("%s: the fast path decodes differently\nCUE:\n%s\nfast path:\n%s", what, want, got)
	}
	var typedCUE, typedFast schema.Tenant
	if err := decodeJSON(byCUE, &typedCUE); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := decodeJSON(defaulted, &typedFast); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(typedCUE, typedFast) {
		t.Errorf("%s: the typed Tenants differ:\nCUE:  %+v\nfast: %+v", what, typedCUE.Spec, typedFast.Spec)
	}
	// Validate decodes the fast path's value without JSON: it must give
	// what JSON gives, keep the Origin, and take every Tenant directly
	origin := schema.Origin{File: "tenant.yaml", Index: 3}
	direct := schema.Tenant{Origin: origin}
	if err := decodePlain(defaulted, &direct); err != nil {
		t.Errorf("%s: decodePlain: %v", what, err)
	}
	typedFast.Origin = origin
	if !reflect.DeepEqual(direct, typedFast) {
		t.Errorf("%s: decodePlain differs from JSON:\nplain: %+v\nJSON:  %+v", what, direct, typedFast)
	}
	return true
}

// TestFastPathTakesEveryValidTenant runs every Tenant of the examples,
// goldens, refusal and function cases, and a generated platform, both
// ways. Each one CUE accepts, the fast path must take too: a Tenant it
// leaves to CUE is a render at a third of the speed.
func TestFastPathTakesEveryValidTenant(t *testing.T) {
	c, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	docs := repositoryTenants(t)
	for _, f := range specgen.Files(specgen.Options{Tenants: 12, Services: 10}) {
		docs = append(docs, tenantDocuments(t, f.Path, f.Data)...)
	}
	if len(docs) < 50 {
		t.Fatalf("found only %d Tenant documents", len(docs))
	}
	valid := 0
	for _, d := range docs {
		fast := agree(t, d.what, d.value)
		var out any
		if len(c.validateWithCUE(Document{Kind: schema.KindTenant, Value: d.value}, &out)) == 0 {
			valid++
			if !fast {
				t.Errorf("%s: CUE accepts it, the fast path leaves it to CUE", d.what)
			}
		}
	}
	t.Logf("%d Tenant documents, %d valid", len(docs), valid)
}

// TestFastPathMutations replaces every value of a Tenant that uses every
// field with values around each constraint (wrong types, empty, too long,
// out of range, each enum, null), removes every field and adds unknown
// ones, and compares each result both ways.
func TestFastPathMutations(t *testing.T) {
	base := parseTenant(t, everyField)
	if _, ok := acceptTenant(base); !ok {
		t.Fatal("the fast path does not take the base Tenant")
	}
	cases, accepted := 0, 0
	for _, path := range valuePaths(base, nil) {
		for _, m := range mutations {
			doc := edit(base, path, m.apply)
			what := path.String() + " " + m.name
			cases++
			if agree(t, what, doc) {
				accepted++
			}
		}
	}
	if accepted == 0 || accepted == cases {
		t.Fatalf("%d of %d mutations accepted: the mutations do not probe the constraints", accepted, cases)
	}
	t.Logf("%d mutations, %d accepted by the fast path and CUE alike", cases, accepted)
}

// FuzzFastPath holds the fast path to CUE on arbitrary YAML, seeded with the
// repository's Tenants.
func FuzzFastPath(f *testing.F) {
	f.Add([]byte(everyField))
	for _, d := range repositoryTenants(f) {
		f.Add(d.text)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var node yaml.Node
		// anchors could expand exponentially; the loader bounds them, plain does not
		if bytes.ContainsRune(data, '&') || yaml.Unmarshal(data, &node) != nil || len(node.Content) == 0 {
			return
		}
		agree(t, "fuzzed input", plain(node.Content[0]))
	})
}

// everyField is a Tenant that sets every field the schema has.
const everyField = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
  namespace: config
  labels: {team: shop, app.kubernetes.io/part-of: shop}
  annotations: {config.kubernetes.io/origin: "x"}
spec:
  owners:
    - {kind: Group, name: shop-admins}
    - {kind: ServiceAccount, name: deployer, namespace: ci}
  revision: canary
  dataplane: sidecar
  namespaces:
    - name: shop
      revision: stable
      dataplane: ambient
      allowSameNamespace: true
    - name: shop-internal
  services:
    - name: web
      namespace: shop-internal
      port: 8080
      subsets:
        - name: v1
          labels: {version: v1}
      ingress:
        gateway: public
        host: www.example.com
        tls: MUTUAL
        routes:
          - prefix: /api
          - exact: /healthz
          - regex: ^/v[0-9]+/
      authorization:
        claims:
          groups: [admins, ops]
      callers:
        - tenant: blog
          namespaces: [blog]
          serviceAccounts: [frontend]
    - name: api
      port: 80
      ingress: {}
  egress:
    - name: payments
      host: api.payments.example
      port: 8443
      tls: SIMPLE
      location: external
      gateway: egress
    - name: ledger
      host: ledger.finance.svc.cluster.local
`

// mutation changes the container (a map or a list) holding key.
type mutation struct {
	name  string
	apply func(container any, key string) any
}

// probes are values at and around the schema's constraints.
var probes = []any{
	nil, "", "a", "A", "-a", "a-", "a_b", "a.b", "a b", "é", "x.svc.cluster.local",
	strings.Repeat("a", 63), strings.Repeat("a", 64),
	strings.Repeat("a.", 126) + "a", strings.Repeat("a.", 126) + "ab",
	"meshwright.dev/v1alpha1", "Tenant", "Mesh", "Group", "User", "ServiceAccount",
	"sidecar", "ambient", "SIMPLE", "MUTUAL", "NONE", "simple", "cluster", "external",
	"/", "443", int64(-1), int64(0), int64(1), int64(443), int64(65535), int64(65536),
	float64(80), 1.5, true, false,
	[]any{}, []any{"a"}, []any{""}, []any{nil}, []any{map[string]any{}},
	[]any{map[string]any{"name": "a"}}, []any{map[string]any{"prefix": "/"}},
	map[string]any{}, map[string]any{"a": "b"}, map[string]any{"a": int64(1)},
	map[string]any{"_hidden": "x"}, map[string]any{"#def": "x"}, map[string]any{"a": []any{"b"}},
}

var mutations = append(probeMutations(),
	mutation{"removed", func(container any, key string) any {
		switch c := container.(type) {
		case map[string]any:
			delete(c, key)
		case []any:
			i, _ := strconv.Atoi(key)
			return slices.Delete(c, i, i+1)
		}
		return container
	}},
	mutation{"with an unknown sibling", func(container any, _ string) any {
		if c, ok := container.(map[string]any); ok {
			c["unknownField"] = "x"
		}
		return container
	}},
)

func probeMutations() []mutation {
	var ms []mutation
	for _, p := range probes {
		ms = append(ms, mutation{fmt.Sprintf("= %#v", p), func(container any, key string) any {
			switch c := container.(type) {
			case map[string]any:
				c[key] = clone(p)
			case []any:
				i, _ := strconv.Atoi(key)
				c[i] = clone(p)
			}
			return container
		}})
	}
	return ms
}

// valuePaths lists the path of every value in v.
func valuePaths(v any, at schema.Path) []schema.Path {
	var paths []schema.Path
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			p := at.Child(k)
			paths = append(append(paths, p), valuePaths(v[k], p)...)
		}
	case []any:
		for i, item := range v {
			p := at.Child(i)
			paths = append(append(paths, p), valuePaths(item, p)...)
		}
	}
	return paths
}

// edit returns a copy of v with apply run on the container of path's last
// element; v is not changed.
func edit(v any, path schema.Path, apply func(container any, key string) any) any {
	if len(path) == 1 {
		return apply(clone(v), path[0])
	}
	switch c := v.(type) {
	case map[string]any:
		out := maps.Clone(c)
		out[path[0]] = edit(c[path[0]], path[1:], apply)
		return out
	case []any:
		out := slices.Clone(c)
		i, _ := strconv.Atoi(path[0])
		out[i] = edit(c[i], path[1:], apply)
		return out
	}
	return v
}

func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = clone(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = clone(item)
		}
		return out
	}
	return v
}

// tenantDoc is one Tenant document found in the repository.
type tenantDocument struct {
	what  string
	text  []byte
	value any
}

// repositoryTenants are the Tenants of every YAML file in the repository,
// including those inside the function cases' ResourceLists.
func repositoryTenants(t testing.TB) []tenantDocument {
	t.Helper()
	root := filepath.Join("..", "..")
	var docs []tenantDocument
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "rendered"):
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".yaml"):
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs = append(docs, tenantDocuments(t, path, data)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// tenantDocuments are the Tenants in one file's documents, and in the items
// of its ResourceLists. Files that are not YAML (refusal cases) hold none.
func tenantDocuments(t testing.TB, path string, data []byte) []tenantDocument {
	var docs []tenantDocument
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var node yaml.Node
		if err := dec.Decode(&node); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: skipped after document %d: %v", path, i, err)
			}
			return docs
		}
		if len(node.Content) == 0 {
			continue
		}
		candidates := []*yaml.Node{node.Content[0]}
		if items := lookup(node.Content[0], "items"); lookupValue(node.Content[0], "kind") == "ResourceList" && items != nil {
			candidates = items.Content
		}
		for j, n := range candidates {
			if lookupValue(n, "kind") != schema.KindTenant || lookupValue(n, "apiVersion") != schema.APIVersion {
				continue
			}
			value := plain(n)
			text, err := yaml.Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, tenantDocument{what: fmt.Sprintf("%s[%d.%d]", path, i, j), text: text, value: value})
		}
	}
}

func lookup(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func lookupValue(n *yaml.Node, key string) string {
	if v := lookup(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func parseTenant(t *testing.T, text string) any {
	t.Helper()
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(text), &node); err != nil {
		t.Fatal(err)
	}
	return plain(node.Content[0])
}

// TestNamePatterns holds dnsName and subdomain to the expressions in the
// CUE schema they stand for, over tricky names and every string of up to
// four characters from an alphabet of the cases.
func TestNamePatterns(t *testing.T) {
	nameRE := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	subdomainRE := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	inputs := []string{"", "a", "team-0001", "-a", "a-", "a--b", "A", "a_b", "é", "a.b", ".a", "a.", "a..b", "a.-b", "svc.ns.svc.cluster.local", "a\n", strings.Repeat("a", 70)}
	const alphabet = "a0-.A_é"
	var all func(prefix string, n int)
	all = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			all(prefix+string(c), n-1)
		}
	}
	all("", 4)
	for _, s := range inputs {
		if got, want := dnsName(s), nameRE.MatchString(s); got != want {
			t.Errorf("dnsName(%q) = %v, the expression says %v", s, got, want)
		}
		if got, want := subdomain(s), subdomainRE.MatchString(s); got != want {
			t.Errorf("subdomain(%q) = %v, the expression says %v", s, got, want)
		}
	}
}
