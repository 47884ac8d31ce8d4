// Package specgen writes valid meshwright specs of any size: N tenants with
// M services each, in a realistic mix of exposure (SIMPLE, MUTUAL, NONE,
// internal), JWT claims, subsets, egress inside and outside the cluster,
// several namespaces and revision pins. Benchmarks use it at platform scale;
// property tests use its seeded variations of the Mesh.
package specgen

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// Options size and vary a generated spec.
type Options struct {
	Tenants  int
	Services int // per tenant
	// Seed varies the Mesh's settings and the tenants' shapes; 0 generates
	// the fixed, realistic platform the benchmarks use.
	Seed int64
	// Visibility is the Mesh's visibility (scoped or mesh); "" leaves it to
	// Seed.
	Visibility string
}

// Files returns the spec as in-memory files: mesh.yaml and one file per
// tenant, as a platform team keeps them.
func Files(o Options) []schema.File {
	g := &generator{o: o, r: rand.New(rand.NewSource(o.Seed))}
	files := []schema.File{{Path: "mesh.yaml", Data: []byte(g.mesh())}}
	for i := 0; i < o.Tenants; i++ {
		files = append(files, schema.File{Path: fmt.Sprintf("tenants/team-%04d.yaml", i), Data: []byte(g.tenant(i))})
	}
	return files
}

type generator struct {
	o Options
	r *rand.Rand
	// drawn Mesh settings the tenants must agree with
	mutualCA bool
	cni      bool
}

// chance is true with probability p when varying, and def otherwise.
func (g *generator) chance(p float64, def bool) bool {
	if g.o.Seed == 0 {
		return def
	}
	return g.r.Float64() < p
}

func (g *generator) mesh() string {
	k8s := "1.30"
	if g.chance(0.3, false) {
		k8s = "1.24"
	}
	g.mutualCA = g.chance(0.8, true)
	g.cni = g.chance(0.8, true)
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata:
  name: platform
spec:
  kubernetesVersion: %q
  domain: apps.example.com
  controlPlane:
    hub: registry.example.com/istio
    revisions:
      - version: 1.30.2
      - version: 1.31.0
    tags: {stable: 1-30-2, canary: 1-31-0}
    defaultRevision: stable
    cni: {enabled: %t}
  gateways:
    ingress:
      - name: istio-ingressgateway
        autoscale: {min: 2, max: 10}
        requireJWT: %t
      - name: partner-gateway
        namespace: istio-partner
      - name: public
        namespace: istio-public
        api: %s
    egress:
      - name: istio-egressgateway
  security:
    mtls: %s
    jwt:
      - issuer: https://login.example.com/realms/apps
        jwksUri: https://login.example.com/realms/apps/protocol/openid-connect/certs
        forwardOriginalToken: true
    denyByDefault: %t
    dryRun: %t
  networkPolicy: {denyByDefault: %t}
  visibility: %s
  certificates:
    issuer:
      vault: {server: https://vault.example.com, path: pki/sign/apps, role: cert-manager}
`, k8s, g.cni, g.chance(0.5, true), pick(g.chance(0.5, false), "gateway-api", "istio"), pick(g.chance(0.2, false), "PERMISSIVE", "STRICT"),
		g.chance(0.8, true), g.chance(0.2, false), g.chance(0.8, true), g.visibility())
	if g.mutualCA {
		b.WriteString("    clientCA: {secret: {name: partner-root-ca}}\n")
	}
	return b.String()
}

// visibility is the Options' visibility, or scoped (mostly) and mesh.
func (g *generator) visibility() string {
	if g.o.Visibility != "" {
		return g.o.Visibility
	}
	return pick(g.chance(0.8, true), "scoped", "mesh")
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// exposures cycles through the ways a service is put on the edge; "" is an
// internal service.
var exposures = []string{"SIMPLE", "MUTUAL", "NONE", ""}

func (g *generator) tenant(i int) string {
	name := g.name("team", i, 63-len("-canary"))
	nss := []string{name, name + "-jobs"}
	if g.chance(0.3, i%3 == 0) {
		nss = append(nss, name+"-canary")
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: %s
spec:
  owners:
    - {kind: Group, name: %s-devs}
    - {kind: ServiceAccount, namespace: ci, name: %s-deployer}
  namespaces:
`, name, name, name)
	for j, ns := range nss {
		fmt.Fprintf(&b, "    - name: %s\n      allowSameNamespace: %t\n", ns, j == 0)
		// the jobs namespace (1) keeps its sidecars: its in-cluster egress
		// entry cannot leave from an ambient namespace (MW0320)
		if j != 1 && g.cni && g.chance(0.3, false) {
			b.WriteString("      dataplane: ambient\n")
		}
		if strings.HasSuffix(ns, "-canary") {
			b.WriteString("      revision: canary\n")
		}
	}
	if g.o.Services > 0 {
		b.WriteString("  services:\n")
	}
	// a realistic share of calls between tenants: a third of the services
	// admit the tenant's jobs namespace, and the previous tenant's web
	// service account where its name is fixed (the benchmark platform)
	previous := ""
	if g.o.Seed == 0 && i > 0 {
		previous = fmt.Sprintf("team-%04d", i-1)
	}
	for j := 0; j < g.o.Services; j++ {
		g.service(&b, name, nss, j, previous)
	}
	fmt.Fprintf(&b, `  egress:
    - {name: payments, host: api.%s.payments.example.net}
    - {name: db, namespace: %s, host: db-%s.data.svc.cluster.local, port: 5443, tls: %s}
`, name, nss[1], name, pick(g.chance(0.5, i%2 == 0), "SIMPLE", "MUTUAL"))
	return b.String()
}

func (g *generator) service(b *strings.Builder, tenant string, nss []string, j int, previous string) {
	exposure := exposures[j%len(exposures)]
	if g.o.Seed != 0 {
		exposure = exposures[g.r.Intn(len(exposures))]
	}
	if exposure == "MUTUAL" && !g.mutualCA {
		exposure = "SIMPLE"
	}
	fmt.Fprintf(b, "    - name: %s\n      namespace: %s\n      port: %d\n", g.name("svc", j, 63), nss[j%len(nss)], 8000+j%1000)
	if j%2 == 0 {
		b.WriteString("      subsets:\n        - {name: v1, labels: {version: v1}}\n        - {name: v2, labels: {version: v2}}\n")
	}
	if j%3 == 1 {
		fmt.Fprintf(b, "      callers:\n        - {tenant: %s, namespaces: [%s]}\n", tenant, nss[1])
		if previous != "" {
			fmt.Fprintf(b, "        - {tenant: %s, serviceAccounts: [web]}\n", previous)
		}
	}
	if exposure == "" {
		return
	}
	gateway := "istio-ingressgateway"
	switch {
	case exposure == "MUTUAL":
		gateway = "partner-gateway"
	case g.chance(0.3, false):
		gateway = "public" // on either API: never MUTUAL
	}
	fmt.Fprintf(b, "      ingress:\n        gateway: %s\n        tls: %s\n        routes: [{prefix: /api}, {exact: /health}]\n", gateway, exposure)
	if exposure == "SIMPLE" && j%4 == 0 {
		b.WriteString("      authorization:\n        claims: {groups: [staff], email_verified: [\"true\"]}\n")
	}
}

// name is a DNS label; when varying, some are padded to max characters (the
// limit, less what suffixes add) so derived names must be shortened.
func (g *generator) name(prefix string, i, max int) string {
	n := fmt.Sprintf("%s-%04d", prefix, i)
	if g.chance(0.1, false) {
		n += "-" + strings.Repeat("x", max-len(n)-1)
	}
	return n
}
