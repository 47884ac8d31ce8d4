package diff

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/meshwright/meshwright/schema"
)

// objects parses a YAML stream of objects as Load reads rendered output.
func objects(t *testing.T, stream string) []Object {
	t.Helper()
	objs, err := loadFiles([]schema.File{{Path: "test.yaml", Data: []byte(stream)}})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func text(t *testing.T, r Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, Text); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

const (
	nsShop = `apiVersion: v1
kind: Namespace
metadata:
  annotations:
    meshwright.dev/source: Tenant/shop
  labels:
    istio.io/rev: stable
    meshwright.dev/tenant: shop
  name: shop
`
	gatewaySimple = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  annotations:
    meshwright.dev/source: Tenant/shop
  name: web-gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
    - hosts:
        - web.shop.example.com
      port:
        name: https
        number: 443
        protocol: HTTPS
      tls:
        credentialName: shop-web-cert
        mode: SIMPLE
`
	peerAuth = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  annotations:
    meshwright.dev/source: Mesh/platform
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`
)

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string // YAML streams
		want     string // the text output
	}{
		{
			name: "unchanged is empty",
			old:  nsShop + "---\n" + peerAuth,
			new:  peerAuth + "---\n" + nsShop, // order does not matter
			want: "No changes.\nUnchanged: Mesh/platform, Tenant/shop\n",
		},
		{
			name: "nothing on either side",
			want: "No changes.\n",
		},
		{
			name: "added",
			old:  peerAuth,
			new:  peerAuth + "---\n" + nsShop,
			want: `Tenant/shop: 1 added, 0 changed, 0 removed
Unchanged: Mesh/platform

Tenant/shop
  added   Namespace shop
`,
		},
		{
			name: "removed",
			old:  nsShop + "---\n" + gatewaySimple,
			new:  nsShop,
			want: `Tenant/shop: 0 added, 0 changed, 1 removed

Tenant/shop
  removed Gateway istio-system/web-gateway
`,
		},
		{
			name: "changed field",
			old:  gatewaySimple,
			new:  strings.Replace(gatewaySimple, "mode: SIMPLE", "mode: MUTUAL", 1),
			want: `Tenant/shop: 0 added, 1 changed, 0 removed

Tenant/shop
  changed Gateway istio-system/web-gateway
    ~ spec.servers[0].tls.mode: SIMPLE → MUTUAL
`,
		},
		{
			name: "fields added and removed",
			old:  gatewaySimple,
			new: strings.Replace(strings.Replace(gatewaySimple, "        credentialName: shop-web-cert\n", "", 1),
				"    istio: ingressgateway\n", "    istio: ingressgateway\n    zone: a\n", 1),
			want: `Tenant/shop: 0 added, 1 changed, 0 removed

Tenant/shop
  changed Gateway istio-system/web-gateway
    + spec.selector.zone: a
    - spec.servers[0].tls.credentialName: shop-web-cert
`,
		},
		{
			name: "list element change",
			old:  gatewaySimple,
			new: strings.Replace(strings.Replace(gatewaySimple, "        - web.shop.example.com\n",
				"        - www.shop.example.com\n        - web.shop.example.com\n", 1), "number: 443", "number: 8443", 1),
			want: `Tenant/shop: 0 added, 1 changed, 0 removed

Tenant/shop
  changed Gateway istio-system/web-gateway
    ~ spec.servers[0].hosts[0]: web.shop.example.com → www.shop.example.com
    + spec.servers[0].hosts[1]: web.shop.example.com
    ~ spec.servers[0].port.number: 443 → 8443
`,
		},
		{
			name: "list element removed",
			old:  strings.Replace(gatewaySimple, "        - web.shop.example.com\n", "        - web.shop.example.com\n        - shop.example.com\n", 1),
			new:  gatewaySimple,
			want: `Tenant/shop: 0 added, 1 changed, 0 removed

Tenant/shop
  changed Gateway istio-system/web-gateway
    - spec.servers[0].hosts[1]: shop.example.com
`,
		},
		{
			name: "moved between tenants",
			old:  nsShop,
			new:  strings.ReplaceAll(strings.Replace(nsShop, "Tenant/shop", "Tenant/store", 1), "tenant: shop", "tenant: store"),
			want: `Tenant/shop: 0 added, 0 changed, 0 removed, 1 moved out
Tenant/store: 0 added, 0 changed, 0 removed, 1 moved in

Tenant/shop
  moved   Namespace shop to Tenant/store

Tenant/store
  moved   Namespace shop from Tenant/shop
    ~ metadata.labels["meshwright.dev/tenant"]: shop → store
`,
		},
		{
			name: "moved without other changes",
			old:  peerAuth,
			new:  strings.Replace(peerAuth, "Mesh/platform", "Mesh/cluster-a", 1),
			want: `Mesh/cluster-a: 0 added, 0 changed, 0 removed, 1 moved in
Mesh/platform: 0 added, 0 changed, 0 removed, 1 moved out

Mesh/cluster-a
  moved   PeerAuthentication istio-system/default from Mesh/platform

Mesh/platform
  moved   PeerAuthentication istio-system/default to Mesh/cluster-a
`,
		},
		{
			name: "kpt path annotations are ignored",
			old:  nsShop,
			new: strings.Replace(nsShop, "  annotations:\n", `  annotations:
    config.kubernetes.io/index: "0"
    config.kubernetes.io/path: rendered/tenant/shop/_cluster/namespace-shop.yaml
    internal.config.kubernetes.io/index: "0"
    internal.config.kubernetes.io/path: rendered/tenant/shop/_cluster/namespace-shop.yaml
    internal.config.kubernetes.io/seqindent: compact
`, 1),
			want: "No changes.\nUnchanged: Tenant/shop\n",
		},
		{
			name: "kpt path annotations on an object without annotations",
			old:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n",
			new:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default, annotations: {config.kubernetes.io/index: '1'}}\n",
			want: "No changes.\nUnchanged: (no source)\n",
		},
		{
			name: "an object without a source gets one",
			old:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n",
			new:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default, annotations: {meshwright.dev/source: Tenant/shop}}\n",
			want: `Tenant/shop: 0 added, 0 changed, 0 removed, 1 moved in
(no source): 0 added, 0 changed, 0 removed, 1 moved out

Tenant/shop
  moved   ConfigMap default/extra from (no source)

(no source)
  moved   ConfigMap default/extra to Tenant/shop
`,
		},
		{
			name: "other annotations are compared",
			old:  peerAuth,
			new:  strings.Replace(peerAuth, "  annotations:\n", "  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", 1),
			want: `Mesh/platform: 0 added, 1 changed, 0 removed

Mesh/platform
  changed PeerAuthentication istio-system/default
    + metadata.annotations["config.kubernetes.io/local-config"]: "true"
`,
		},
		{
			name: "a new apiVersion of the same group is a changed field",
			old:  strings.Replace(gatewaySimple, "networking.istio.io/v1", "networking.istio.io/v1beta1", 1),
			new:  gatewaySimple,
			want: `Tenant/shop: 0 added, 1 changed, 0 removed

Tenant/shop
  changed Gateway istio-system/web-gateway
    ~ apiVersion: networking.istio.io/v1beta1 → networking.istio.io/v1
`,
		},
		{
			name: "one kind in two groups is named with its group",
			old:  gatewaySimple,
			new:  strings.Replace(gatewaySimple, "networking.istio.io/v1", "gateway.networking.k8s.io/v1", 1),
			want: `Tenant/shop: 1 added, 0 changed, 1 removed

Tenant/shop
  added   Gateway.gateway.networking.k8s.io istio-system/web-gateway
  removed Gateway.networking.istio.io istio-system/web-gateway
`,
		},
		{
			name: "objects without a source come last",
			old:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\ndata: {a: \"1\"}\n---\n" + peerAuth,
			new:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\ndata: {a: \"2\"}\n---\n" + strings.Replace(peerAuth, "STRICT", "PERMISSIVE", 1),
			want: `Mesh/platform: 0 added, 1 changed, 0 removed
(no source): 0 added, 1 changed, 0 removed

Mesh/platform
  changed PeerAuthentication istio-system/default
    ~ spec.mtls.mode: STRICT → PERMISSIVE

(no source)
  changed ConfigMap default/extra
    ~ data.a: "1" → "2"
`,
		},
		{
			name: "type changes and strings that look like other types",
			old:  strings.Replace(peerAuth, "  mtls:\n    mode: STRICT\n", "  a: \"true\"\n  b: [x]\n  c: 1.5\n  d: \"\"\n", 1),
			new:  strings.Replace(peerAuth, "  mtls:\n    mode: STRICT\n", "  a: true\n  b: {x: 1}\n  c: \"1.5\"\n  d: null\n", 1),
			want: `Mesh/platform: 0 added, 1 changed, 0 removed

Mesh/platform
  changed PeerAuthentication istio-system/default
    ~ spec.a: "true" → true
    ~ spec.b: [x] → {x: 1}
    ~ spec.c: 1.5 → "1.5"
    ~ spec.d: "" → null
`,
		},
		{
			name: "long values are cut",
			old:  peerAuth,
			new: strings.Replace(peerAuth, "  mtls:\n", "  long: "+strings.Repeat("x", 150)+"\n  deep:\n"+
				"    a: {b: {c: {d: "+strings.Repeat("y", 90)+"}}}\n    e: [1, 2, 3]\n  mtls:\n", 1),
			want: `Mesh/platform: 0 added, 1 changed, 0 removed

Mesh/platform
  changed PeerAuthentication istio-system/default
    + spec.deep: {a: {b: {c: {…}}}, e: [1, 2, 3]} (4 values)
    + spec.long: ` + strings.Repeat("x", 100) + `… (150 characters)
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compare(objects(t, tc.old), objects(t, tc.new))
			if err != nil {
				t.Fatal(err)
			}
			if got := text(t, r); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if wantEmpty := strings.HasPrefix(tc.want, "No changes."); r.Empty() != wantEmpty {
				t.Errorf("Empty() = %v, want %v", r.Empty(), wantEmpty)
			}
		})
	}
}

func TestCompareCounts(t *testing.T) {
	old := objects(t, nsShop+"---\n"+gatewaySimple+"---\n"+peerAuth)
	new := objects(t, strings.Replace(nsShop, "stable", "canary", 1)+"---\n"+
		strings.ReplaceAll(strings.Replace(peerAuth, "Mesh/platform", "Tenant/shop", 1), "name: default", "name: shop"))
	r, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) != 2 {
		t.Fatalf("sources: %+v", r.Sources)
	}
	mesh, shop := r.Sources[0], r.Sources[1]
	if mesh.Source != "Mesh/platform" || mesh.Removed != 1 || mesh.Added+mesh.Changed+mesh.MovedIn+mesh.MovedOut != 0 {
		t.Errorf("Mesh/platform: %+v", mesh)
	}
	if shop.Source != "Tenant/shop" || shop.Added != 1 || shop.Changed != 1 || shop.Removed != 1 {
		t.Errorf("Tenant/shop: %+v", shop)
	}
	// sorted by kind, namespace, name
	var got []string
	for _, d := range shop.Objects {
		got = append(got, string(d.Change)+" "+d.ID.String())
	}
	want := "removed Gateway istio-system/web-gateway, changed Namespace shop, added PeerAuthentication istio-system/shop"
	if strings.Join(got, ", ") != want {
		t.Errorf("objects: %s\nwant:    %s", strings.Join(got, ", "), want)
	}
	f := shop.Objects[1].Fields
	if len(f) != 1 || f[0] != (FieldDiff{Path: `metadata.labels["istio.io/rev"]`, Op: FieldChanged, Old: "stable", New: "canary"}) {
		t.Errorf("fields: %+v", f)
	}
}

func TestCompareNumbersByValue(t *testing.T) {
	mk := func(n any) []Object {
		return []Object{{Source: "Mesh/m", Origin: "test", Value: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "n", "annotations": map[string]any{AnnotationSource: "Mesh/m"}},
			"spec":     map[string]any{"n": n},
		}}}
	}
	for _, pair := range [][2]any{{80, int64(80)}, {int64(80), float64(80)}, {uint8(80), int32(80)}, {1.5, float32(1.5)}} {
		r, err := Compare(mk(pair[0]), mk(pair[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Empty() {
			t.Errorf("%T %v and %T %v differ: %+v", pair[0], pair[0], pair[1], pair[1], r)
		}
	}
	r, _ := Compare(mk(80), mk("80"))
	if r.Empty() {
		t.Error("80 and \"80\" compare equal")
	}
}

func TestCompareRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, stream, want string
	}{
		{"two objects with one identity", nsShop + "---\n" + nsShop, "test.yaml (document 1) and test.yaml (document 2) both hold Namespace shop"},
		{"no name", "apiVersion: v1\nkind: Namespace\nmetadata: {generateName: x-}\n", "test.yaml (document 1): Namespace without metadata.name"},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", "test.yaml (document 1): object without kind"},
		{"not a mapping", "- a\n- b\n", "test.yaml (document 1): not a Kubernetes object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadFiles([]schema.File{{Path: "test.yaml", Data: []byte(tc.stream)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// Compare checks objects that did not come from Load as well.
	dup := []Object{{Origin: "a", Value: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "x"}}}}
	dup = append(dup, Object{Origin: "b", Value: dup[0].Value})
	if _, err := Compare(nil, dup); err == nil || err.Error() != "new side: a and b both hold Namespace x" {
		t.Errorf("duplicate: %v", err)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"SIMPLE", "SIMPLE"},
		{"1.30.2", "1.30.2"},
		{"1.31", `"1.31"`},
		{"100%", "100%"},
		{"", `""`},
		{"yes", `"yes"`},
		{"0x10", `"0x10"`},
		{"a: b", `"a: b"`},
		{"- x", `"- x"`},
		{"-", `"-"`},
		{"169.254.0.0/16,fe80::/10", `"169.254.0.0/16,fe80::/10"`},
		{"line\nbreak", `"line\nbreak"`},
		{" padded", `" padded"`},
		{"a → b", `"a → b"`},
		{int64(5), "5"},
		{2.5, "2.5"},
		{nil, "null"},
		{false, "false"},
		{map[string]any{}, "{}"},
		{[]any{}, "[]"},
		{map[string]any{"b": []any{"x", int64(1)}, "a": map[string]any{"istio.io/rev": "stable"}}, "{a: {istio.io/rev: stable}, b: [x, 1]}"},
	} {
		if got := formatValue(tc.v); got != tc.want {
			t.Errorf("formatValue(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestFormatPath(t *testing.T) {
	for _, tc := range []struct {
		path []any
		want string
	}{
		{[]any{"spec", "servers", 0, "tls", "mode"}, "spec.servers[0].tls.mode"},
		{[]any{"metadata", "labels", "istio.io/rev"}, `metadata.labels["istio.io/rev"]`},
		{[]any{"data", "80"}, `data["80"]`},
		{[]any{"data", ""}, `data[""]`},
		{[]any{"a-b", "c_d"}, "a-b.c_d"},
	} {
		if got := formatPath(tc.path); got != tc.want {
			t.Errorf("formatPath(%v) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	old := objects(t, nsShop+"---\n"+peerAuth)
	new := objects(t, strings.ReplaceAll(strings.Replace(nsShop, "Tenant/shop", "Tenant/store", 1), "tenant: shop", "tenant: store")+"---\n"+
		strings.Replace(peerAuth, "STRICT", "'`odd`'", 1))
	r, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, r, Markdown); err != nil {
		t.Fatal(err)
	}
	want := "## meshwright diff\n\n" +
		"| Source | Added | Changed | Removed | Moved |\n" +
		"| --- | ---: | ---: | ---: | ---: |\n" +
		"| `Mesh/platform` | 0 | 1 | 0 | 0 |\n" +
		"| `Tenant/shop` | 0 | 0 | 0 | 1 out |\n" +
		"| `Tenant/store` | 0 | 0 | 0 | 1 in |\n" +
		"\n" +
		"<details>\n<summary><code>Mesh/platform</code>: 0 added, 1 changed, 0 removed</summary>\n\n" +
		"- **changed** `PeerAuthentication istio-system/default`\n" +
		"  - `spec.mtls.mode`: `STRICT` → ``\"`odd`\"``\n" +
		"\n</details>\n\n" +
		"<details>\n<summary><code>Tenant/shop</code>: 0 added, 0 changed, 0 removed, 1 moved out</summary>\n\n" +
		"- **moved** `Namespace shop` to `Tenant/store`\n" +
		"\n</details>\n\n" +
		"<details>\n<summary><code>Tenant/store</code>: 0 added, 0 changed, 0 removed, 1 moved in</summary>\n\n" +
		"- **moved** `Namespace shop` from `Tenant/shop`\n" +
		"  - `metadata.labels[\"meshwright.dev/tenant\"]`: `shop` → `store`\n" +
		"\n</details>\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	if err := Write(&b, Result{}, Markdown); err != nil {
		t.Fatal(err)
	}
	if b.String() != "## meshwright diff\n\nNo changes.\n" {
		t.Errorf("empty: %q", b.String())
	}
	if err := Write(&b, r, "html"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestManyFieldsAreCounted(t *testing.T) {
	var old, new strings.Builder
	old.WriteString(peerAuth + "  many:\n")
	new.WriteString(peerAuth + "  many:\n")
	for i := range MaxFieldsPerObject + 3 {
		old.WriteString("    - a\n")
		new.WriteString("    - b\n")
		_ = i
	}
	r, err := Compare(objects(t, old.String()), objects(t, new.String()))
	if err != nil {
		t.Fatal(err)
	}
	out := text(t, r)
	if n := strings.Count(out, "    ~ "); n != MaxFieldsPerObject {
		t.Errorf("%d field lines, want %d", n, MaxFieldsPerObject)
	}
	if !strings.Contains(out, "    … 3 more field differences\n") {
		t.Errorf("no count of the rest:\n%s", out)
	}
}

func TestManyUnchangedSourcesAreCounted(t *testing.T) {
	var stream strings.Builder
	for i := range MaxUnchangedListed + 1 {
		fmt.Fprintf(&stream, "---\n%s", strings.ReplaceAll(nsShop, "shop", fmt.Sprintf("shop%02d", i)))
	}
	objs := objects(t, stream.String())
	r := mustCompare(t, objs, objs)
	if got, want := text(t, r), fmt.Sprintf("No changes.\nUnchanged: %d sources\n", MaxUnchangedListed+1); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	r = mustCompare(t, objs[1:], objs)
	if got := text(t, r); !strings.HasPrefix(got, "Tenant/shop00: 1 added, 0 changed, 0 removed\nUnchanged: Tenant/shop01, Tenant/shop02,") {
		t.Errorf("got:\n%s", got)
	}
}
