package conformance

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// TestTrafficPathsInGeneratedConfig proves, with istiod's own
// configuration generation (XDS), that every path the spec allows is open
// end to end and every other is closed, for every rendered tree, over the
// cluster as it would be after install (see pathCluster):
//   - each ingress gateway to each service exposed on it: the gateway admits
//     the client (with a token when it requires JWT), its route for the host
//     reaches clusters of the service only, whose endpoints are the
//     service's Pods; each of those Pods' inbound RBAC admits the gateway's
//     identity (with the claims the service requires, and not without them)
//     and their NetworkPolicies admit the gateway Pod;
//   - each namespace with allowSameNamespace to its services, and each
//     namespace a service names as its caller (with the service accounts it
//     names) to the service: the same, from the namespace's sidecar;
//   - each namespace with an egress entry to its host: the sidecar routes
//     http://<host> to the egress gateway, the gateway admits it and routes
//     it to <host>:<port>, originating the TLS the entry asks for;
//
// and closed, at every layer the spec promises (see Promises): a namespace's
// sidecar does not see another namespace's service it may not call
// (visibility), the service's Pods deny its identity (authorization, or its
// dry run) and their NetworkPolicies its Pod; no gateway routes to a service
// not exposed on it, nor do other namespaces route an egress entry's host
// to the egress gateway.
func TestTrafficPathsInGeneratedConfig(t *testing.T) {
	bin := istioctl(t)
	layers := map[string]int{}
	used := map[int]bool{}
	for _, tree := range trees(t) {
		name := TreeName(repoRoot, tree)
		t.Run(name, func(t *testing.T) {
			m := pathCluster(t, bin, tree, nil)
			problems, checked := m.problems(t)
			for _, p := range problems {
				if i := knownPathBug(name, p); i >= 0 {
					used[i] = true
					t.Logf("KNOWN %s: %s", knownPathBugs[i].reason, p)
					continue
				}
				t.Error(p)
			}
			for k, n := range checked {
				layers[k] += n
			}
			t.Logf("promises %+v; checked %v", m.paths.Promises, checked)
		})
	}
	t.Logf("checks over all trees: %v", layers)
	for i, b := range knownPathBugs {
		if !used[i] {
			t.Errorf("known bug %s %q no longer seen: delete its entry in knownPathBugs", b.tree, b.problem)
		}
	}
	// Each kind of open path and each layer of closure the trees exercise
	// must have been checked somewhere: a check that never runs proves
	// nothing.
	for _, k := range []string{
		"open ingress", "open same-namespace", "open callers", "open egress",
		"closed route", "closed visibility", "closed authorization", "closed network",
	} {
		if layers[k] == 0 {
			t.Errorf("no tree exercised %q", k)
		}
	}
}

// knownPathBugs are renderer bugs these checks found, reported to the
// renderer's owner and accepted only for the tree and the problems that show
// them, so that main stays green until the fix lands; each is logged on every
// run, and one no longer seen is logged for deletion (as findings_test.go's
// knownBugs).
var knownPathBugs = []struct {
	tree    string
	problem *regexp.Regexp
	reason  string
}{}

func knownPathBug(tree, problem string) int {
	for i, b := range knownPathBugs {
		if b.tree == tree && b.problem.MatchString(problem) {
			return i
		}
	}
	return -1
}

// meshUnderTest is one cluster, its generated configuration and the spec's
// paths.
type meshUnderTest struct {
	x          *XDS
	paths      *Paths
	objs       []*unstructured.Unstructured
	namespaces map[string]map[string]string
}

// pathCluster assembles the tree's cluster as assembleCluster does, with
// the workloads the spec's services and egress hosts need where the
// fixture has none (SpecWorkloads), lets mutate change it (nil: none), and
// starts istiod's configuration generation over it with the install's mesh
// config.
func pathCluster(t *testing.T, bin, tree string, mutate func([]*unstructured.Unstructured) []*unstructured.Unstructured) *meshUnderTest {
	t.Helper()
	spec, err := load.Load(filepath.Join(filepath.Dir(tree), "spec"))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := AllowedPaths(spec)
	if err != nil {
		t.Fatal(err)
	}
	objs, webhooks := installedCluster(t, bin, tree)
	objs = append(objs, SpecWorkloads(paths, objs)...)
	if objs, err = withControllers(objs, webhooks); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		objs = mutate(objs)
	}
	return &meshUnderTest{
		x:          NewXDS(t, objs, meshConfig(t, bin, tree)),
		paths:      paths,
		objs:       objs,
		namespaces: namespaceLabels(objs),
	}
}

// meshConfig is the mesh config istiod reads (the `mesh` key of the istio
// ConfigMap istioctl generates), of the IstioOperator installing the
// gateways (the revisions' are the same but for the revision).
func meshConfig(t *testing.T, bin, tree string) string {
	t.Helper()
	mesh, err := meshConfigOf(installManifests(t, bin, tree))
	if err != nil {
		t.Fatalf("%s: %v", tree, err)
	}
	return mesh
}

func meshConfigOf(iops []iopFile) (string, error) {
	found := ""
	for _, f := range iops {
		for _, d := range f.manifest {
			o := d.Object
			if o.GetKind() != "ConfigMap" || (o.GetName() != "istio" && !strings.HasPrefix(o.GetName(), "istio-")) {
				continue
			}
			if mesh, ok, _ := unstructured.NestedString(o.Object, "data", "mesh"); ok && (found == "" || len(enabledGateways(f.iop)) > 0) {
				found = mesh
			}
		}
	}
	if found == "" {
		return "", fmt.Errorf("no istio ConfigMap with a mesh config in the generated manifests")
	}
	return found, nil
}

// gateway returns the proxy of a Mesh gateway's Pod, checking the Pod runs
// as the service account the spec's policies name: the one istioctl's
// Deployment gives it.
func (m *meshUnderTest) gateway(g GatewayRef) (*Proxy, error) {
	for _, o := range m.objs {
		if o.GetKind() != "Deployment" || o.GetNamespace() != g.Namespace || o.GetName() != g.Deployment() {
			continue
		}
		sa, _, _ := unstructured.NestedString(o.Object, "spec", "template", "spec", "serviceAccountName")
		if sa != g.ServiceAccount() {
			return nil, fmt.Errorf("gateway %s/%s: the installed Deployment runs as service account %q, not %q", g.Namespace, g.Name, sa, g.ServiceAccount())
		}
		pods := m.x.Pods(g.Namespace, nil)
		for _, p := range pods {
			if p.GetName() == g.Deployment()+"-0" {
				proxy, err := m.x.ProxyOf(p)
				if err != nil {
					return nil, err
				}
				if !proxy.Router {
					return nil, fmt.Errorf("gateway %s/%s: its Pod's proxy is not a router", g.Namespace, g.Name)
				}
				if want := m.paths.Principal(g.Namespace, g.ServiceAccount()); proxy.Identity != want {
					return nil, fmt.Errorf("gateway %s/%s: identity %s, want %s", g.Namespace, g.Name, proxy.Identity, want)
				}
				return proxy, nil
			}
		}
		return nil, fmt.Errorf("gateway %s/%s: no Pod", g.Namespace, g.Name)
	}
	return nil, fmt.Errorf("gateway %s/%s: no Deployment in the install", g.Namespace, g.Name)
}

// sidecar returns the proxy standing for a namespace's workloads: its first
// Pod with a sidecar.
func (m *meshUnderTest) sidecar(ns string) (*Proxy, error) {
	if p := m.workload(ns); p != nil && istioProxy(p) != nil {
		return m.x.ProxyOf(p)
	}
	return nil, fmt.Errorf("namespace %s has no Pod with a sidecar", ns)
}

// workload returns the Pod standing for a namespace's workloads: its first
// with a sidecar, else (ambient) its first that is not its waypoint.
func (m *meshUnderTest) workload(ns string) *unstructured.Unstructured {
	var first *unstructured.Unstructured
	for _, p := range m.x.Pods(ns, nil) {
		if p.GetLabels()["gateway.networking.k8s.io/gateway-name"] != "" {
			continue // the waypoint
		}
		if istioProxy(p) != nil {
			return p
		}
		if first == nil {
			first = p
		}
	}
	return first
}

// servicePods returns the Pods of a tenant service (its Service's selector).
func (m *meshUnderTest) servicePods(s ServiceRef) ([]*unstructured.Unstructured, []string, error) {
	for _, o := range m.objs {
		if o.GetKind() == "Service" && o.GetNamespace() == s.Namespace && o.GetName() == s.Name {
			pods := m.x.Pods(s.Namespace, selectorOf(o))
			if len(pods) == 0 {
				return nil, nil, fmt.Errorf("%s has no Pods", s)
			}
			return pods, targetPorts(o), nil
		}
	}
	return nil, nil, fmt.Errorf("%s has no Service", s)
}

// serviceAccountOf is a Pod's service account.
func serviceAccountOf(pod *unstructured.Unstructured) string {
	sa, _, _ := unstructured.NestedString(pod.Object, "spec", "serviceAccountName")
	return orDefault(sa, "default")
}

// problems runs every check and returns what fails, and how many checks of
// each kind ran.
func (m *meshUnderTest) problems(t *testing.T) ([]string, map[string]int) {
	t.Helper()
	var problems []string
	checked := map[string]int{}
	for _, g := range append(slices.Clone(m.paths.IngressGateways), m.paths.EgressGateways...) {
		if _, err := m.gateway(g); err != nil {
			problems = append(problems, err.Error())
		}
	}
	ambient := m.ambientChecks()
	for _, p := range m.paths.Allowed {
		if ambient != nil && ambient.involves(p.From, p.Service, p.Egress) {
			for _, msg := range ambient.openProblems(p, checked) {
				problems = append(problems, fmt.Sprintf("%s: %s", p, msg))
			}
			continue
		}
		checked["open "+string(p.Kind)]++
		for _, msg := range m.openProblems(p) {
			problems = append(problems, fmt.Sprintf("%s: %s", p, msg))
		}
	}
	for _, c := range m.closedPairs() {
		if ambient != nil && ambient.involves(c.from, c.service, c.egress) {
			for _, msg := range ambient.closedProblems(c, checked) {
				problems = append(problems, fmt.Sprintf("not allowed: %s: %s", c, msg))
			}
			continue
		}
		for _, layer := range c.layers {
			checked["closed "+layer]++
		}
		for _, msg := range m.closedProblems(c) {
			problems = append(problems, fmt.Sprintf("not allowed: %s: %s", c, msg))
		}
	}
	if ambient != nil {
		problems = append(problems, ambient.z.Dropped()...)
	}
	return problems, checked
}

// ingressRequest is the request a client sends the service's ingress
// gateway: to its host, on the port of its TLS mode, with the SNI, a path
// its routes match, and a token with the service's claims when the Mesh
// has an issuer.
func (m *meshUnderTest) ingressRequest(s ServiceRef, claims bool) Request {
	req := Request{Host: s.Ingress.Host, Port: 443, SNI: s.Ingress.Host, Path: examplePath(s.Ingress.Routes)}
	if s.Ingress.TLS == schema.TLSNone {
		req.Port, req.SNI = 80, ""
	}
	if m.paths.JWTIssuer != "" && claims {
		req.Claims = map[string][]string{"iss": {m.paths.JWTIssuer}, "sub": {"conformance-user"}}
		for k, v := range s.Claims {
			req.Claims[k] = v
		}
	}
	return req
}

// examplePath is a path the routes match: the first exact or prefix one
// ("/" without routes; "" when all are regexes, which no check follows).
func examplePath(routes []schema.Route) string {
	for _, r := range routes {
		switch {
		case r.Exact != "":
			return r.Exact
		case r.Prefix != "":
			return r.Prefix
		}
	}
	if len(routes) == 0 {
		return "/"
	}
	return regexOnly
}

// regexOnly is the path of a service exposed with regex routes only.
const regexOnly = "\x00regex"

// openProblems follows an allowed path through the generated configuration.
func (m *meshUnderTest) openProblems(p Path) []string {
	switch p.Kind {
	case EgressPath:
		return m.egressOpenProblems(*p.Egress)
	case IngressPath:
		gw, _ := findGatewayRef(m.paths.IngressGateways, p.From.Gateway)
		from, err := m.gateway(gw)
		if err != nil {
			return []string{err.Error()}
		}
		req := m.ingressRequest(*p.Service, true)
		problems := m.gatewayAdmitsProblems(from, gw, req)
		problems = append(problems, m.serviceHopProblems(from, req, *p.Service, from.Identity)...)
		if len(p.Service.Claims) > 0 {
			problems = append(problems, m.claimsEnforcedProblems(from, *p.Service)...)
		}
		return problems
	default:
		from, err := m.sidecar(p.From.Namespace)
		if err != nil {
			return []string{err.Error()}
		}
		principal := from.Identity
		if p.From.ServiceAccount != "" {
			principal = m.paths.Principal(p.From.Namespace, p.From.ServiceAccount)
		}
		req := Request{Host: p.Service.Host(), Port: uint32(p.Service.Port)}
		return m.serviceHopProblems(from, req, *p.Service, principal)
	}
}

// certificateProblems checks that the gateway presents, for a TLS
// request, one certificate: a Secret of the cluster (as cert-manager issues
// it) valid for the request's host. An Istio-API gateway reads it from its
// own namespace (kubernetes://<name>), a Gateway API Gateway from the
// namespace of the listener's ListenerSet (kubernetes-gateway://<ns>/<name>).
func (m *meshUnderTest) certificateProblems(gw *Proxy, req Request, g GatewayRef) []string {
	if req.SNI == "" {
		return nil
	}
	names, err := gw.ServerCertificates(req)
	if err != nil {
		return []string{err.Error()}
	}
	if len(names) != 1 {
		return []string{fmt.Sprintf("%s presents %d certificates for %s, want 1: %v", gw, len(names), req.Host, names)}
	}
	ns, name := g.Namespace, ""
	switch ref := names[0]; {
	case strings.HasPrefix(ref, "kubernetes://"):
		name = strings.TrimPrefix(ref, "kubernetes://")
	case strings.HasPrefix(ref, "kubernetes-gateway://"):
		ns, name, _ = strings.Cut(strings.TrimPrefix(ref, "kubernetes-gateway://"), "/")
	default:
		return []string{fmt.Sprintf("%s presents %s for %s: not a Kubernetes Secret", gw, ref, req.Host)}
	}
	for _, o := range m.objs {
		if o.GetKind() != "Secret" || o.GetNamespace() != ns || o.GetName() != name {
			continue
		}
		crt, _, _ := unstructured.NestedString(o.Object, "data", "tls.crt")
		hosts, err := certificateHosts(crt)
		if err != nil {
			return []string{fmt.Sprintf("Secret %s/%s: %v", ns, name, err)}
		}
		if !slices.Contains(hosts, req.Host) {
			return []string{fmt.Sprintf("%s presents Secret %s/%s for %s, a certificate for %v", gw, ns, name, req.Host, hosts)}
		}
		return nil
	}
	return []string{fmt.Sprintf("%s presents %s for %s: no such Secret (no Certificate writes it)", gw, names[0], req.Host)}
}

// certificateHosts are the DNS names of a Secret's base64 PEM tls.crt.
func certificateHosts(b64 string) ([]string, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(der)
	if block == nil {
		return nil, fmt.Errorf("tls.crt is not PEM")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	return c.DNSNames, nil
}

// gatewayAdmitsProblems checks the ingress gateway's side of a client's
// request: it admits the client (and, requiring JWT, not without a token)
// and presents the host's certificate.
func (m *meshUnderTest) gatewayAdmitsProblems(gw *Proxy, g GatewayRef, req Request) []string {
	var problems []string
	if d, err := gw.Authorize(req); err != nil {
		problems = append(problems, err.Error())
	} else if !d.Allowed || !d.DryRunAllowed {
		problems = append(problems, fmt.Sprintf("the gateway denies the client: %s", d))
	}
	if g.RequireJWT {
		anonymous := req
		anonymous.Claims = nil
		if d, err := gw.Authorize(anonymous); err != nil {
			problems = append(problems, err.Error())
		} else if d.Allowed {
			problems = append(problems, fmt.Sprintf("the gateway requires JWT, yet admits a request without a token: %s", d))
		}
	}
	return append(problems, m.certificateProblems(gw, req, g)...)
}

// serviceHopProblems checks that from routes req to the service's Pods only
// and that each of them admits the principal (RBAC) and from's Pod
// (NetworkPolicy).
func (m *meshUnderTest) serviceHopProblems(from *Proxy, req Request, s ServiceRef, principal string) []string {
	pods, ports, err := m.servicePods(s)
	if err != nil {
		return []string{err.Error()}
	}
	if req.Path == regexOnly {
		return []string{"exposed with regex routes only: no path to follow; add an exact or prefix route to the check"}
	}
	req.Principal = principal
	hop, err := m.x.Hop(from, req)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if !hop.Route.Open() {
		return []string{fmt.Sprintf("%s does not route %s:%d%s to a cluster: %s", from, req.Host, req.Port, req.path(), hop.Route)}
	}
	for _, c := range hop.Route.Clusters {
		if clusterHost(c) != s.Host() {
			problems = append(problems, fmt.Sprintf("%s routes %s to cluster %s, not one of %s", from, req.Host, c, s.Host()))
		}
	}
	if len(hop.Endpoints) == 0 {
		problems = append(problems, fmt.Sprintf("clusters %v of %s have no endpoints", hop.Route.Clusters, from))
	}
	for _, ep := range hop.Endpoints {
		if ep.Pod == nil || !slices.ContainsFunc(pods, func(p *unstructured.Unstructured) bool { return namespacedName(p) == namespacedName(ep.Pod) }) {
			problems = append(problems, fmt.Sprintf("endpoint %s of %s is not a Pod of %s", ep, ep.Cluster, s))
			continue
		}
		d, ok := hop.Decisions[ep.String()]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("Pod %s has no sidecar to decide", namespacedName(ep.Pod)))
		case !d.Allowed || !d.DryRunAllowed:
			problems = append(problems, fmt.Sprintf("Pod %s denies %s: %s", namespacedName(ep.Pod), principal, d))
		}
		if !admitted(m.objs, from.Pod, ep.Pod, m.namespaces, ports) {
			problems = append(problems, fmt.Sprintf("no NetworkPolicy of namespace %s admits Pod %s to Pod %s", ep.Pod.GetNamespace(), namespacedName(from.Pod), namespacedName(ep.Pod)))
		}
	}
	return problems
}

// claimsEnforcedProblems checks that a request through the gateway without
// the service's claims (a token of the issuer without them) is denied.
func (m *meshUnderTest) claimsEnforcedProblems(from *Proxy, s ServiceRef) []string {
	req := m.ingressRequest(s, true)
	for k := range s.Claims {
		delete(req.Claims, k)
	}
	req.Principal = from.Identity
	hop, err := m.x.Hop(from, req)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for ep, d := range hop.Decisions {
		if d.Allowed && d.DryRunAllowed {
			problems = append(problems, fmt.Sprintf("endpoint %s admits a token without the claims %v: %s", ep, s.Claims, d))
		}
	}
	return problems
}

// egressOpenProblems follows http://<host> from the entry's namespace to
// the egress gateway and on to <host>:<port>.
func (m *meshUnderTest) egressOpenProblems(e EgressRef) []string {
	from, err := m.sidecar(e.Namespace)
	if err != nil {
		return []string{err.Error()}
	}
	return m.egressFrom(from, e)
}

// egressFrom follows http://<host> from the proxy that carries the
// namespace's outbound traffic (its sidecar, or its waypoint) to the egress
// gateway and on to <host>:<port>.
func (m *meshUnderTest) egressFrom(from *Proxy, e EgressRef) []string {
	gwHost := e.Gateway.ServiceHost()
	hop, err := m.x.Hop(from, Request{Host: e.Host, Port: 80})
	if err != nil {
		return []string{err.Error()}
	}
	if !hop.Route.Open() {
		return []string{fmt.Sprintf("%s does not route http://%s: %s", from, e.Host, hop.Route)}
	}
	var problems []string
	for _, c := range hop.Route.Clusters {
		if clusterHost(c) != gwHost {
			problems = append(problems, fmt.Sprintf("%s routes http://%s to %s, not to the egress gateway %s", from, e.Host, c, gwHost))
		}
	}
	if len(hop.Endpoints) == 0 {
		problems = append(problems, fmt.Sprintf("clusters %v of %s have no endpoints", hop.Route.Clusters, from))
	}
	for _, ep := range hop.Endpoints {
		d, ok := hop.Decisions[ep.String()]
		if !ok {
			problems = append(problems, fmt.Sprintf("endpoint %s is not a proxy of the cluster", ep))
			continue
		}
		if !d.Allowed || !d.DryRunAllowed {
			problems = append(problems, fmt.Sprintf("the egress gateway %s denies %s: %s", ep, from.Identity, d))
		}
		gw, err := m.x.ProxyOf(ep.Pod)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if ep.Pod.GetNamespace() != e.Gateway.Namespace || !strings.HasPrefix(ep.Pod.GetName(), e.Gateway.Name+"-") || !gw.Router {
			problems = append(problems, fmt.Sprintf("endpoint %s is not a Pod of the egress gateway %s/%s", ep, e.Gateway.Namespace, e.Gateway.Name))
			continue
		}
		tls, err := from.UpstreamTLS(ep.Cluster)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		// an Istio-API egress gateway takes the host as SNI (its Gateway
		// server's); a gateway-api one is reached as any mesh service,
		// auto mutual TLS with its Service's SNI, and routes by the Host
		wantSNI := e.Host
		if e.Gateway.API == schema.GatewayAPIKubernetes {
			wantSNI = fmt.Sprintf("outbound_.%d_._.%s", ep.Port, gwHost)
		}
		if !tls.TLS || !contains(tls.Secrets, "default") || tls.SNI != wantSNI {
			problems = append(problems, fmt.Sprintf("%s does not reach the egress gateway over Istio mutual TLS with SNI %s: %+v", from, wantSNI, tls))
		}
		out, err := gw.Route(Request{Host: e.Host, Port: ep.Port, SNI: tls.SNI, Principal: from.Identity})
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		want := fmt.Sprintf("outbound|%d||%s", e.Port, e.Host)
		if !out.Open() || len(out.Clusters) != 1 || out.Clusters[0] != want {
			problems = append(problems, fmt.Sprintf("the egress gateway does not route %s to %s: %s", e.Host, want, out))
			continue
		}
		if len(gw.Endpoints(want)) == 0 {
			problems = append(problems, fmt.Sprintf("the egress gateway's cluster %s has no endpoints", want))
		}
		origin, err := gw.UpstreamTLS(want)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		switch e.TLS {
		case schema.TLSMutual:
			if !origin.TLS || origin.SNI != e.Host || len(origin.Secrets) == 0 || contains(origin.Secrets, "default") {
				problems = append(problems, fmt.Sprintf("the egress gateway does not originate mutual TLS to %s with a client certificate of its own: %+v", e.Host, origin))
			}
		case schema.TLSSimple:
			if !origin.TLS || origin.SNI != e.Host || len(origin.Secrets) > 0 {
				problems = append(problems, fmt.Sprintf("the egress gateway does not originate simple TLS to %s: %+v", e.Host, origin))
			}
		}
	}
	return problems
}

// clusterHost is the host of an outbound|<port>|<subset>|<host> cluster.
func clusterHost(name string) string {
	parts := strings.Split(name, "|")
	if len(parts) != 4 {
		return ""
	}
	return parts[3]
}

// closedPair is a source and a destination no path allows, with the layers
// the spec promises close it.
type closedPair struct {
	from    Peer
	service *ServiceRef
	egress  *EgressRef
	layers  []string // visibility, authorization, network, route
}

func (c closedPair) String() string {
	if c.egress != nil {
		return fmt.Sprintf("%s -> %s", c.from, c.egress)
	}
	return fmt.Sprintf("%s -> %s", c.from, c.service)
}

// closedPairs lists every pair of a source (each ingress gateway, each
// tenant namespace's sidecar) and a destination (each service, each egress
// entry) no path allows, with the layers that must close it.
func (m *meshUnderTest) closedPairs() []closedPair {
	var out []closedPair
	pr := m.paths.Promises
	for i := range m.paths.Services {
		s := &m.paths.Services[i]
		for _, g := range m.paths.IngressGateways {
			from := Peer{Gateway: g.Name, Namespace: g.Namespace}
			if _, ok := m.paths.ServicePath(from, *s); ok {
				continue
			}
			c := closedPair{from: from, service: s, layers: []string{"route"}}
			if m.paths.AuthorizationCloses(g.Namespace, *s) {
				c.layers = append(c.layers, "authorization")
			}
			out = append(out, c)
		}
		for _, ns := range m.paths.Namespaces {
			from := Peer{Namespace: ns.Name}
			if pod := m.workload(ns.Name); pod != nil {
				from.ServiceAccount = serviceAccountOf(pod)
			}
			if p, ok := m.paths.ServicePath(from, *s); ok {
				if p.From.ServiceAccount != "" && m.paths.AuthorizationCloses(ns.Name, *s) {
					// allowed to the service accounts listed only: not to another
					other := Peer{Namespace: ns.Name, ServiceAccount: "conformance-unlisted"}
					out = append(out, closedPair{from: other, service: s, layers: []string{"authorization"}})
				}
				continue
			}
			c := closedPair{from: from, service: s}
			if pr.Visibility && !m.paths.Reveals(ns.Name, *s) {
				c.layers = append(c.layers, "visibility")
			}
			if m.paths.AuthorizationCloses(ns.Name, *s) {
				c.layers = append(c.layers, "authorization")
			}
			// NetworkPolicies admit a caller namespace whatever the service
			// account
			if pr.NetworkPolicy && !m.paths.CallerNamespace(ns.Name, *s) {
				c.layers = append(c.layers, "network")
			}
			out = append(out, c)
		}
	}
	for i := range m.paths.Egress {
		e := &m.paths.Egress[i]
		for _, ns := range m.paths.Namespaces {
			if ns.Name == e.Namespace || slices.ContainsFunc(m.paths.Egress, func(o EgressRef) bool { return o.Namespace == ns.Name && o.Host == e.Host }) {
				continue
			}
			c := closedPair{from: Peer{Namespace: ns.Name}, egress: e, layers: []string{"route"}}
			if pr.Visibility && !m.egressHostRevealed(ns.Name, *e) {
				c.layers = append(c.layers, "visibility")
			}
			out = append(out, c)
		}
	}
	return out
}

// egressHostRevealed: an in-cluster host of the namespace itself or of the
// control plane's is in a scoped sidecar's view anyway.
func (m *meshUnderTest) egressHostRevealed(ns string, e EgressRef) bool {
	if e.Location != schema.LocationCluster {
		return false
	}
	parts := strings.Split(e.Host, ".")
	return len(parts) > 1 && (parts[1] == ns || parts[1] == m.paths.ControlPlaneNamespace)
}

// closedProblems checks each layer of a closed pair.
func (m *meshUnderTest) closedProblems(c closedPair) []string {
	var problems []string
	var from *Proxy
	var err error
	if c.from.Gateway != "" {
		gw, _ := findGatewayRef(m.paths.IngressGateways, c.from.Gateway)
		from, err = m.gateway(gw)
	} else {
		from, err = m.sidecar(c.from.Namespace)
	}
	if err != nil {
		return []string{err.Error()}
	}
	if c.egress != nil {
		return m.egressClosedProblems(from, c)
	}
	s := *c.service
	for _, layer := range c.layers {
		switch layer {
		case "visibility":
			if v := from.Visibility(s.Host(), 0); !v.Hidden() {
				problems = append(problems, fmt.Sprintf("%s sees it: %s", from, v))
			}
		case "route":
			if r := routesTo(from, s.Host()); len(r) > 0 {
				problems = append(problems, fmt.Sprintf("%s routes to it: %v", from, r))
			}
		case "authorization", "network":
			pods, ports, err := m.servicePods(s)
			if err != nil {
				return append(problems, err.Error())
			}
			for _, pod := range pods {
				if layer == "network" {
					if admitted(m.objs, from.Pod, pod, m.namespaces, ports) {
						problems = append(problems, fmt.Sprintf("NetworkPolicies of namespace %s admit Pod %s to Pod %s", pod.GetNamespace(), namespacedName(from.Pod), namespacedName(pod)))
					}
					continue
				}
				principal := from.Identity
				if c.from.Gateway == "" && c.from.ServiceAccount != "" {
					principal = m.paths.Principal(c.from.Namespace, c.from.ServiceAccount)
				}
				problems = append(problems, m.deniedProblems(principal, pod, s, ports)...)
			}
		}
	}
	return problems
}

// deniedProblems checks that a service's Pod denies the proxy's identity on
// each of its ports (in dry run when the spec rolls zero trust out so),
// with the claims the service requires: a path must stay closed to a
// caller holding a valid token.
func (m *meshUnderTest) deniedProblems(principal string, pod *unstructured.Unstructured, s ServiceRef, ports []string) []string {
	to, err := m.x.ProxyOf(pod)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, port := range ports {
		req := Request{Host: s.Host(), Port: uint32(toInt(port)), Principal: principal}
		if s.Ingress != nil {
			req = m.ingressRequest(s, true)
			req.Port, req.Principal = uint32(toInt(port)), principal
		}
		d, err := to.Authorize(req)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case m.paths.Promises.DryRun && d.DryRunAllowed:
			problems = append(problems, fmt.Sprintf("Pod %s admits %s in dry run: %s", namespacedName(pod), principal, d))
		case !m.paths.Promises.DryRun && d.Allowed:
			problems = append(problems, fmt.Sprintf("Pod %s admits %s: %s", namespacedName(pod), principal, d))
		}
	}
	return problems
}

// routesTo lists the routes of a proxy that send to clusters of a host.
func routesTo(p *Proxy, host string) []string {
	var out []string
	for _, rc := range p.Routes() {
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				clusters := []string{r.GetRoute().GetCluster()}
				for _, wc := range r.GetRoute().GetWeightedClusters().GetClusters() {
					clusters = append(clusters, wc.GetName())
				}
				for _, c := range clusters {
					if clusterHost(c) == host {
						out = append(out, rc.GetName()+"/"+vh.GetName()+" -> "+c)
					}
				}
			}
		}
	}
	return out
}

// egressClosedProblems checks that the namespace's sidecar does not route
// the host to an egress gateway, and with scoped visibility does not see it.
func (m *meshUnderTest) egressClosedProblems(from *Proxy, c closedPair) []string {
	var problems []string
	e := *c.egress
	for _, layer := range c.layers {
		switch layer {
		case "route":
			r, err := from.Route(Request{Host: e.Host, Port: 80})
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			for _, cl := range r.Clusters {
				for _, g := range m.paths.EgressGateways {
					if clusterHost(cl) == g.ServiceHost() {
						problems = append(problems, fmt.Sprintf("%s routes http://%s to the egress gateway: %s", from, e.Host, r))
					}
				}
			}
		case "visibility":
			if v := from.Visibility(e.Host, 0); !v.Hidden() {
				problems = append(problems, fmt.Sprintf("%s sees %s: %s", from, e.Host, v))
			}
		}
	}
	return problems
}
