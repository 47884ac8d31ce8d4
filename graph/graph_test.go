package graph_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meshwright/meshwright/graph"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// testMesh has two ingress gateways, the second requiring a JWT, an egress
// gateway, and certificates for TLS exposure and MUTUAL egress.
const testMesh = `apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata: {name: platform}
spec:
  domain: example.com
  controlPlane:
    hub: registry.example.com/istio
    revisions: [{version: 1.30.2}]
  gateways:
    ingress:
      - name: istio-ingressgateway
      - name: public-gateway
        namespace: istio-public
        labels: {istio: public-gateway}
        requireJWT: true
    egress:
      - name: istio-egressgateway
  security:
    jwt:
      - issuer: https://login.example.com
        jwksUri: https://login.example.com/certs
  certificates:
    issuer:
      name: vault-issuer
      vault: {server: https://vault.example.com, path: pki/sign/example-com, role: cert-manager}
    clientCA:
      secret: {name: root-ca}
`

func tenant(name, spec string) string {
	return "apiVersion: meshwright.dev/v1alpha1\nkind: Tenant\nmetadata: {name: " + name + "}\nspec:\n" + spec
}

func parse(t *testing.T, tenants ...string) *schema.Spec {
	t.Helper()
	files := []schema.File{{Path: "mesh.yaml", Data: []byte(testMesh)}}
	for i, text := range tenants {
		files = append(files, schema.File{Path: fmt.Sprintf("tenant-%d.yaml", i), Data: []byte(text)})
	}
	spec, err := load.Parse(files...)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// describe writes each edge as "kind name -> kind name: label", and each
// node as "kind name (label) in group-label".
func describe(g *graph.Graph) (edges, nodes []string) {
	node := map[string]graph.Node{}
	group := map[string]graph.Group{}
	for _, n := range g.Nodes {
		node[n.ID] = n
	}
	for _, gr := range g.Groups {
		group[gr.ID] = gr
	}
	for _, e := range g.Edges {
		from, to := node[e.From], node[e.To]
		s := fmt.Sprintf("%s %s -> %s %s", from.Kind, from.Name, to.Kind, to.Name)
		if e.Label != "" {
			s += ": " + e.Label
		}
		edges = append(edges, s)
	}
	for _, n := range g.Nodes {
		var path []string
		for gid := n.Group; gid != ""; gid = group[gid].Parent {
			path = append([]string{group[gid].Label}, path...)
		}
		nodes = append(nodes, fmt.Sprintf("%s %s (%s) in %s", n.Kind, n.Name, n.Label, strings.Join(path, " > ")))
	}
	return edges, nodes
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name    string
		tenants []string
		opts    graph.Options
		edges   []string
		nodes   []string // when set, exactly these
	}{
		{
			name: "exposed SIMPLE on the default gateway",
			tenants: []string{tenant("shop", `  namespaces: [{name: shop}]
  services:
    - {name: storefront, port: 8080, ingress: {tls: SIMPLE}}
`)},
			edges: []string{
				"clients clients -> host storefront.shop.example.com",
				"host storefront.shop.example.com -> ingress-gateway istio-system/istio-ingressgateway: SIMPLE :443",
				"ingress-gateway istio-system/istio-ingressgateway -> service shop/shop/storefront:8080: mTLS",
			},
			nodes: []string{
				"clients clients (external clients) in ",
				"host storefront.shop.example.com (storefront.shop.example.com) in ",
				"ingress-gateway istio-system/istio-ingressgateway (istio-system/istio-ingressgateway) in ingress gateways",
				"ingress-gateway istio-public/public-gateway (istio-public/public-gateway, requires JWT) in ingress gateways",
				"service shop/shop/storefront:8080 (storefront:8080) in tenant shop > namespace shop, revision 1-30-2",
				"egress-gateway istio-system/istio-egressgateway (istio-system/istio-egressgateway) in egress gateways",
			},
		},
		{
			name: "exposed MUTUAL with its own host",
			tenants: []string{tenant("shop", `  namespaces: [{name: shop}]
  services:
    - {name: checkout, port: 8443, ingress: {tls: MUTUAL, host: pay.example.com}}
`)},
			edges: []string{
				"clients clients -> host pay.example.com",
				"host pay.example.com -> ingress-gateway istio-system/istio-ingressgateway: MUTUAL :443",
				"ingress-gateway istio-system/istio-ingressgateway -> service shop/shop/checkout:8443: mTLS",
			},
		},
		{
			name: "exposed NONE: plain HTTP on 80",
			tenants: []string{tenant("blog", `  namespaces: [{name: blog}]
  services:
    - {name: preview, port: 80, ingress: {tls: NONE}}
`)},
			edges: []string{
				"clients clients -> host preview.blog.example.com",
				"host preview.blog.example.com -> ingress-gateway istio-system/istio-ingressgateway: NONE :80",
				"ingress-gateway istio-system/istio-ingressgateway -> service blog/blog/preview:80: mTLS",
			},
		},
		{
			name: "JWT required by the gateway",
			tenants: []string{tenant("shop", `  namespaces: [{name: shop}]
  services:
    - {name: storefront, port: 8080, ingress: {tls: SIMPLE, gateway: public-gateway}}
`)},
			edges: []string{
				"clients clients -> host storefront.shop.example.com",
				"host storefront.shop.example.com -> ingress-gateway istio-public/public-gateway: SIMPLE :443, JWT",
				"ingress-gateway istio-public/public-gateway -> service shop/shop/storefront:8080: mTLS",
			},
		},
		{
			name: "JWT claims of the service",
			tenants: []string{tenant("shop", `  namespaces: [{name: shop}]
  services:
    - name: admin
      port: 8080
      ingress: {tls: NONE}
      authorization: {claims: {groups: [staff]}}
`)},
			edges: []string{
				"clients clients -> host admin.shop.example.com",
				"host admin.shop.example.com -> ingress-gateway istio-system/istio-ingressgateway: NONE :80",
				"ingress-gateway istio-system/istio-ingressgateway -> service shop/shop/admin:8080: mTLS, JWT claims",
			},
		},
		{
			name: "egress to an external host",
			tenants: []string{tenant("shop", `  namespaces: [{name: shop}, {name: shop-jobs}]
  egress:
    - {name: payments, namespace: shop-jobs, host: api.payments.com, port: 8443, tls: SIMPLE}
`)},
			opts: graph.Options{Tenant: "shop"},
			edges: []string{
				"workloads shop/shop-jobs -> egress-gateway istio-system/istio-egressgateway: payments, mTLS",
				"egress-gateway istio-system/istio-egressgateway -> destination api.payments.com: payments, SIMPLE :8443",
			},
			nodes: []string{
				"workloads shop/shop-jobs (workloads) in tenant shop > namespace shop-jobs, revision 1-30-2",
				"workloads shop/shop (workloads) in tenant shop > namespace shop, revision 1-30-2",
				"egress-gateway istio-system/istio-egressgateway (istio-system/istio-egressgateway) in egress gateways",
				"destination api.payments.com (api.payments.com) in external hosts",
			},
		},
		{
			name: "egress to a host in the cluster, MUTUAL by default",
			tenants: []string{tenant("sleep", `  namespaces: [{name: sleep}]
  services:
    - {name: sleep, port: 80}
  egress:
    - {name: nginx, host: my-nginx.web.svc.cluster.local, port: 443}
`)},
			opts: graph.Options{Tenant: "sleep"},
			edges: []string{
				"workloads sleep/sleep -> egress-gateway istio-system/istio-egressgateway: nginx, mTLS",
				"egress-gateway istio-system/istio-egressgateway -> destination my-nginx.web.svc.cluster.local: nginx, MUTUAL :443",
			},
			nodes: []string{
				"service sleep/sleep/sleep:80 (sleep:80) in tenant sleep > namespace sleep, revision 1-30-2",
				"workloads sleep/sleep (workloads) in tenant sleep > namespace sleep, revision 1-30-2",
				"egress-gateway istio-system/istio-egressgateway (istio-system/istio-egressgateway) in egress gateways",
				"destination my-nginx.web.svc.cluster.local (my-nginx.web.svc.cluster.local) in cluster hosts",
			},
		},
		{
			name: "tenant filter: the tenant, its gateways and hosts",
			tenants: []string{
				tenant("shop", `  namespaces: [{name: shop}]
  services:
    - {name: storefront, port: 8080, ingress: {tls: SIMPLE, gateway: public-gateway}}
    - {name: cart, port: 8080}
`),
				tenant("blog", `  namespaces: [{name: blog, revision: 1-30-2}]
  services:
    - {name: preview, port: 80, ingress: {tls: NONE}}
  egress:
    - {name: feed, host: feeds.example.org, port: 443, tls: SIMPLE}
`),
			},
			opts: graph.Options{Tenant: "shop"},
			edges: []string{
				"clients clients -> host storefront.shop.example.com",
				"host storefront.shop.example.com -> ingress-gateway istio-public/public-gateway: SIMPLE :443, JWT",
				"ingress-gateway istio-public/public-gateway -> service shop/shop/storefront:8080: mTLS",
			},
			nodes: []string{
				"clients clients (external clients) in ",
				"host storefront.shop.example.com (storefront.shop.example.com) in ",
				"ingress-gateway istio-public/public-gateway (istio-public/public-gateway, requires JWT) in ingress gateways",
				"service shop/shop/storefront:8080 (storefront:8080) in tenant shop > namespace shop, revision 1-30-2",
				"service shop/shop/cart:8080 (cart:8080) in tenant shop > namespace shop, revision 1-30-2",
			},
		},
		{
			name: "whole mesh: every gateway, tenants by name",
			tenants: []string{
				tenant("shop", `  namespaces: [{name: shop}]
`),
				tenant("blog", `  namespaces: [{name: blog}]
  egress:
    - {name: feed, host: feeds.example.org, port: 443, tls: SIMPLE}
`),
			},
			edges: []string{
				"workloads blog/blog -> egress-gateway istio-system/istio-egressgateway: feed, mTLS",
				"egress-gateway istio-system/istio-egressgateway -> destination feeds.example.org: feed, SIMPLE :443",
			},
			nodes: []string{
				"ingress-gateway istio-system/istio-ingressgateway (istio-system/istio-ingressgateway) in ingress gateways",
				"ingress-gateway istio-public/public-gateway (istio-public/public-gateway, requires JWT) in ingress gateways",
				"workloads blog/blog (workloads) in tenant blog > namespace blog, revision 1-30-2",
				"workloads shop/shop (workloads) in tenant shop > namespace shop, revision 1-30-2",
				"egress-gateway istio-system/istio-egressgateway (istio-system/istio-egressgateway) in egress gateways",
				"destination feeds.example.org (feeds.example.org) in external hosts",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := graph.Build(parse(t, tt.tenants...), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			edges, nodes := describe(g)
			if !slices.Equal(edges, tt.edges) {
				t.Errorf("edges:\n  %s\nwant:\n  %s", strings.Join(edges, "\n  "), strings.Join(tt.edges, "\n  "))
			}
			if tt.nodes != nil && !slices.Equal(nodes, tt.nodes) {
				t.Errorf("nodes:\n  %s\nwant:\n  %s", strings.Join(nodes, "\n  "), strings.Join(tt.nodes, "\n  "))
			}
			var m, d bytes.Buffer
			if err := g.Mermaid(&m); err != nil {
				t.Fatal(err)
			}
			if err := g.DOT(&d); err != nil {
				t.Fatal(err)
			}
			checkMermaid(t, m.Bytes())
			checkDOT(t, d.Bytes())
		})
	}
}

func TestBuildUnknownTenant(t *testing.T) {
	spec := parse(t, tenant("shop", "  namespaces: [{name: shop}]\n"), tenant("blog", "  namespaces: [{name: blog}]\n"))
	_, err := graph.Build(spec, graph.Options{Tenant: "search"})
	if err == nil || err.Error() != `graph: no tenant "search" in the spec (tenants: blog, shop)` {
		t.Errorf("err = %v", err)
	}
	if _, err := graph.Build(&schema.Spec{}, graph.Options{}); err == nil {
		t.Error("a spec without a Mesh: no error")
	}
}

// IDs stay unique when names differ only in punctuation: tenant a with
// namespace b-c, and tenant a-b with namespace c.
func TestBuildIDsUnique(t *testing.T) {
	spec := parse(t,
		tenant("a", "  namespaces: [{name: b-c}]\n  services: [{name: d, port: 80}]\n"),
		tenant("a-b", "  namespaces: [{name: c}]\n  services: [{name: d, port: 80}]\n"),
	)
	g, err := graph.Build(spec, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range slices.Concat(ids(g.Nodes, func(n graph.Node) string { return n.ID }), ids(g.Groups, func(g graph.Group) string { return g.ID })) {
		if seen[id] {
			t.Errorf("ID %s twice", id)
		}
		seen[id] = true
	}
	if !seen["svc_a_b_c_d"] || !seen["svc_a_b_c_d_2"] {
		t.Errorf("IDs %v: want svc_a_b_c_d and svc_a_b_c_d_2", seen)
	}
	var m bytes.Buffer
	if err := g.Mermaid(&m); err != nil {
		t.Fatal(err)
	}
	checkMermaid(t, m.Bytes())
}

func ids[T any](list []T, id func(T) string) []string {
	var out []string
	for _, v := range list {
		out = append(out, id(v))
	}
	return out
}

// The same spec in another file order draws the same bytes.
func TestBuildDeterministic(t *testing.T) {
	shop := tenant("shop", "  namespaces: [{name: shop}]\n  services: [{name: web, port: 80, ingress: {tls: NONE}}]\n")
	blog := tenant("blog", "  namespaces: [{name: blog}]\n  egress: [{name: feed, host: feeds.example.org, port: 443, tls: SIMPLE}]\n")
	out := func(tenants ...string) string {
		g, err := graph.Build(parse(t, tenants...), graph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var m, d bytes.Buffer
		if err := g.Mermaid(&m); err != nil {
			t.Fatal(err)
		}
		if err := g.DOT(&d); err != nil {
			t.Fatal(err)
		}
		return m.String() + d.String()
	}
	if a, b := out(shop, blog), out(blog, shop); a != b {
		t.Errorf("tenant order changes the output:\n%s\n---\n%s", a, b)
	}
}

// Labels that Mermaid or DOT would read as markup are escaped (a validated
// spec cannot hold them, but a hand-made Graph can).
func TestWritersEscape(t *testing.T) {
	label := "a \"quoted\" #1 <b> `md` \\ end\nline"
	g := &graph.Graph{
		Mesh:   `m"1`,
		Groups: []graph.Group{{ID: "g_x", Label: label}},
		Nodes:  []graph.Node{{ID: "n_a", Label: label, Group: "g_x"}, {ID: "n_b", Kind: graph.NodeHost, Label: label}},
		Edges:  []graph.Edge{{From: "n_a", To: "n_b", Label: label}},
	}
	var m, d bytes.Buffer
	if err := g.Mermaid(&m); err != nil {
		t.Fatal(err)
	}
	if err := g.DOT(&d); err != nil {
		t.Fatal(err)
	}
	checkMermaid(t, m.Bytes())
	checkDOT(t, d.Bytes())
	const wantMermaid = `n_a["a #quot;quoted#quot; #35;1 #lt;b#gt; #96;md#96; \ end line"]`
	if !strings.Contains(m.String(), wantMermaid) {
		t.Errorf("mermaid:\n%s\nwant a line %s", m.String(), wantMermaid)
	}
	const wantDOT = `n_a [label="a \"quoted\" #1 <b> ` + "`md`" + ` \\ end line"];`
	if !strings.Contains(d.String(), wantDOT) {
		t.Errorf("dot:\n%s\nwant a line %s", d.String(), wantDOT)
	}
}
