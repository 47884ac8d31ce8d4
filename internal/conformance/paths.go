package conformance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshwright/meshwright/schema"
)

// Paths is the traffic a Spec allows, derived from it in one place
// (AllowedPaths), so that checks read "for every allowed path: open; for
// every other pair: closed" against the configuration the mesh generates.
type Paths struct {
	TrustDomain           string
	ControlPlaneNamespace string
	IngressGateways       []GatewayRef
	EgressGateways        []GatewayRef
	Namespaces            []NamespaceRef // the tenants' namespaces
	Services              []ServiceRef
	Egress                []EgressRef
	// JWTIssuer is the first issuer of the Mesh's JWT providers ("" without
	// any): the issuer of the tokens the checks send to the gateways.
	JWTIssuer string
	// Allowed lists every path the spec opens: each ingress gateway to the
	// services exposed on it, each namespace's workloads to its own
	// services (allowSameNamespace) and to the services naming them as
	// callers, each namespace to its egress entries' hosts.
	Allowed  []Path
	Promises Promises
}

// Promises are the layers at which the spec promises to close every path it
// does not allow. A field the loaded spec does not have yet reads as no
// promise, so the checks work before and after the API gains it.
type Promises struct {
	// Visibility (Mesh visibility: scoped): a namespace's sidecars do not
	// see the services of other namespaces they may not call.
	Visibility bool
	// Authorization (Mesh security.denyByDefault): every workload denies
	// what its ALLOW policies do not admit.
	Authorization bool
	// DryRun (Mesh security.dryRun): the zero-trust policies are in dry
	// run, so Authorization is promised of the dry-run decision only.
	DryRun bool
	// NetworkPolicy (Mesh networkPolicy.denyByDefault): every tenant
	// namespace's pods admit only the peers its NetworkPolicies list.
	NetworkPolicy bool
}

// PathKind is why a path is allowed.
type PathKind string

const (
	IngressPath       PathKind = "ingress"        // an ingress gateway to a service exposed on it
	SameNamespacePath PathKind = "same-namespace" // a namespace with allowSameNamespace to its own services
	CallerPath        PathKind = "callers"        // a namespace a service names as its caller
	EgressPath        PathKind = "egress"         // a namespace through its egress gateway to an egress entry's host
)

// Path is one allowed path: from a gateway or the workloads of a namespace
// (one service account's, or any when ServiceAccount is "") to a service or
// an egress entry's host.
type Path struct {
	Kind    PathKind
	From    Peer
	Service *ServiceRef // all kinds but EgressPath
	Egress  *EgressRef  // EgressPath
}

func (p Path) String() string {
	to := ""
	if p.Service != nil {
		to = p.Service.String()
	}
	if p.Egress != nil {
		to = p.Egress.String()
	}
	return fmt.Sprintf("%s: %s -> %s", p.Kind, p.From, to)
}

// Peer is the source of a path: an ingress gateway (Gateway set), or
// workloads of a namespace running as ServiceAccount ("" for any).
type Peer struct {
	Gateway        string
	Namespace      string
	ServiceAccount string
}

func (p Peer) String() string {
	switch {
	case p.Gateway != "":
		return "gateway " + p.Namespace + "/" + p.Gateway
	case p.ServiceAccount != "":
		return "namespace " + p.Namespace + " (service account " + p.ServiceAccount + ")"
	}
	return "namespace " + p.Namespace
}

// GatewayRef is a Mesh gateway. An Istio-API gateway is the IstioOperator's
// Deployment <name>, whose pods run as <name>-service-account; a
// gateway-api one is what istiod deploys for the Gateway <name>:
// Deployment, Service and service account <name>-istio (conventions the
// tests check against istioctl's manifest and istiod's deployment
// controller).
type GatewayRef struct {
	Name, Namespace string
	RequireJWT      bool
	API             schema.GatewayAPI
}

// Deployment is the name of the gateway's Deployment and Service.
func (g GatewayRef) Deployment() string {
	if g.API == schema.GatewayAPIKubernetes {
		return g.Name + "-istio"
	}
	return g.Name
}

// ServiceAccount is the service account the gateway's pods run as.
func (g GatewayRef) ServiceAccount() string {
	if g.API == schema.GatewayAPIKubernetes {
		return g.Deployment()
	}
	return g.Name + "-service-account"
}

// ServiceHost is the host name of the gateway's Service.
func (g GatewayRef) ServiceHost() string {
	return g.Deployment() + "." + g.Namespace + ".svc.cluster.local"
}

// NamespaceRef is a tenant's namespace.
type NamespaceRef struct {
	Tenant, Name       string
	AllowSameNamespace bool
}

// ServiceRef is a tenant's service.
type ServiceRef struct {
	Tenant, Namespace, Name string
	Port                    int32
	Subsets                 []schema.Subset
	Claims                  map[string][]string // JWT claims its ingress ALLOW requires
	Ingress                 *schema.Ingress     // nil when not exposed
	Callers                 []CallerRef
}

func (s ServiceRef) String() string { return "service " + s.Namespace + "/" + s.Name }

// Host is the service's in-mesh host name.
func (s ServiceRef) Host() string { return s.Name + "." + s.Namespace + ".svc.cluster.local" }

// CallerRef is who a service admits from inside the mesh: service accounts
// (any when none) of namespaces of a tenant (all of its namespaces when none).
type CallerRef struct {
	Tenant          string   `json:"tenant"`
	Namespaces      []string `json:"namespaces,omitempty"`
	ServiceAccounts []string `json:"serviceAccounts,omitempty"`
}

// EgressRef is a tenant's egress entry.
type EgressRef struct {
	Tenant, Namespace, Name, Host string
	Port                          int32
	TLS                           schema.TLSMode
	Location                      schema.Location
	Gateway                       GatewayRef
}

func (e EgressRef) String() string {
	return fmt.Sprintf("egress %s/%s (%s:%d through %s/%s)", e.Namespace, e.Name, e.Host, e.Port, e.Gateway.Namespace, e.Gateway.Name)
}

// AllowedPaths derives the allowed-path matrix and the promises from a
// loaded (defaulted) spec. Fields the spec types may not have yet (the
// zero-trust settings, callers) are read through the spec's JSON form.
func AllowedPaths(spec *schema.Spec) (*Paths, error) {
	if spec == nil || spec.Mesh == nil {
		return nil, fmt.Errorf("no Mesh in the spec")
	}
	m := spec.Mesh.Spec
	p := &Paths{
		TrustDomain:           orDefault(m.TrustDomain, "cluster.local"),
		ControlPlaneNamespace: orDefault(m.ControlPlane.Namespace, "istio-system"),
	}
	if len(m.Security.JWT) > 0 {
		p.JWTIssuer = m.Security.JWT[0].Issuer
	}
	var ext struct {
		Visibility *string `json:"visibility"`
		Security   struct {
			DenyByDefault *bool `json:"denyByDefault"`
			DryRun        *bool `json:"dryRun"`
		} `json:"security"`
	}
	if err := roundTrip(m, &ext); err != nil {
		return nil, fmt.Errorf("reading the Mesh: %w", err)
	}
	p.Promises = Promises{
		Visibility:    ext.Visibility != nil && *ext.Visibility == "scoped",
		Authorization: ext.Security.DenyByDefault != nil && *ext.Security.DenyByDefault,
		DryRun:        ext.Security.DryRun != nil && *ext.Security.DryRun,
		NetworkPolicy: m.NetworkPolicy.DenyByDefault,
	}
	for _, g := range m.Gateways.Ingress {
		p.IngressGateways = append(p.IngressGateways, GatewayRef{Name: g.Name, Namespace: orDefault(g.Namespace, p.ControlPlaneNamespace), RequireJWT: g.RequireJWT, API: g.API})
	}
	for _, g := range m.Gateways.Egress {
		p.EgressGateways = append(p.EgressGateways, GatewayRef{Name: g.Name, Namespace: orDefault(g.Namespace, p.ControlPlaneNamespace), API: g.API})
	}
	tenantNamespaces := map[string][]string{}
	for _, t := range spec.Tenants {
		for _, ns := range t.Spec.Namespaces {
			p.Namespaces = append(p.Namespaces, NamespaceRef{Tenant: t.Metadata.Name, Name: ns.Name, AllowSameNamespace: ns.AllowSameNamespace})
			tenantNamespaces[t.Metadata.Name] = append(tenantNamespaces[t.Metadata.Name], ns.Name)
		}
	}
	for _, t := range spec.Tenants {
		var callers struct {
			Services []struct {
				Callers []CallerRef `json:"callers"`
			} `json:"services"`
		}
		if err := roundTrip(t.Spec, &callers); err != nil {
			return nil, fmt.Errorf("reading Tenant %s: %w", t.Metadata.Name, err)
		}
		home := ""
		if len(t.Spec.Namespaces) > 0 {
			home = t.Spec.Namespaces[0].Name
		}
		for i, s := range t.Spec.Services {
			ref := ServiceRef{Tenant: t.Metadata.Name, Namespace: orDefault(s.Namespace, home), Name: s.Name, Port: s.Port, Subsets: s.Subsets, Ingress: s.Ingress}
			if s.Authorization != nil {
				ref.Claims = s.Authorization.Claims
			}
			for _, c := range callers.Services[i].Callers {
				if len(c.Namespaces) == 0 {
					c.Namespaces = tenantNamespaces[c.Tenant]
				}
				ref.Callers = append(ref.Callers, c)
			}
			p.Services = append(p.Services, ref)
		}
		for _, e := range t.Spec.Egress {
			gw, ok := findGatewayRef(p.EgressGateways, e.Gateway)
			if !ok && len(p.EgressGateways) > 0 && e.Gateway == "" {
				gw, ok = p.EgressGateways[0], true
			}
			if !ok {
				return nil, fmt.Errorf("Tenant %s egress %s: no egress gateway %q", t.Metadata.Name, e.Name, e.Gateway)
			}
			p.Egress = append(p.Egress, EgressRef{
				Tenant: t.Metadata.Name, Namespace: orDefault(e.Namespace, home), Name: e.Name, Host: e.Host,
				Port: e.Port, TLS: e.TLS, Location: e.Location, Gateway: gw,
			})
		}
	}
	for i := range p.Services {
		s := &p.Services[i]
		if s.Ingress != nil {
			gw, ok := findGatewayRef(p.IngressGateways, s.Ingress.Gateway)
			if !ok {
				return nil, fmt.Errorf("%s: no ingress gateway %q", s, s.Ingress.Gateway)
			}
			p.Allowed = append(p.Allowed, Path{Kind: IngressPath, From: Peer{Gateway: gw.Name, Namespace: gw.Namespace}, Service: s})
		}
		for _, ns := range p.Namespaces {
			if ns.Name == s.Namespace && ns.AllowSameNamespace {
				p.Allowed = append(p.Allowed, Path{Kind: SameNamespacePath, From: Peer{Namespace: ns.Name}, Service: s})
			}
		}
		for _, c := range s.Callers {
			for _, ns := range c.Namespaces {
				if len(c.ServiceAccounts) == 0 {
					p.Allowed = append(p.Allowed, Path{Kind: CallerPath, From: Peer{Namespace: ns}, Service: s})
				}
				for _, sa := range c.ServiceAccounts {
					p.Allowed = append(p.Allowed, Path{Kind: CallerPath, From: Peer{Namespace: ns, ServiceAccount: sa}, Service: s})
				}
			}
		}
	}
	for i := range p.Egress {
		e := &p.Egress[i]
		p.Allowed = append(p.Allowed, Path{Kind: EgressPath, From: Peer{Namespace: e.Namespace}, Egress: e})
	}
	return p, nil
}

// roundTrip decodes v's JSON form into out.
func roundTrip(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func findGatewayRef(gws []GatewayRef, name string) (GatewayRef, bool) {
	for _, g := range gws {
		if g.Name == name {
			return g, true
		}
	}
	return GatewayRef{}, false
}

// ServicePath returns the allowed path from the peer to the service, if
// any. A namespace peer without a service account stands for all of the
// namespace's workloads: callers restricted to service accounts do not
// admit it.
func (p *Paths) ServicePath(from Peer, s ServiceRef) (Path, bool) {
	for _, a := range p.Allowed {
		if a.Service == nil || a.Service.Namespace != s.Namespace || a.Service.Name != s.Name {
			continue
		}
		if a.From.Gateway != from.Gateway || a.From.Namespace != from.Namespace {
			continue
		}
		if a.From.ServiceAccount == "" || a.From.ServiceAccount == from.ServiceAccount {
			return a, true
		}
	}
	return Path{}, false
}

// Reveals tells whether the spec lets the sidecars of namespace ns see the
// service at all (visibility: scoped imports the namespace's own services,
// the control plane's, and the services naming the namespace as a caller,
// whatever their service accounts).
func (p *Paths) Reveals(ns string, s ServiceRef) bool {
	return s.Namespace == ns || s.Namespace == p.ControlPlaneNamespace || p.CallerNamespace(ns, s)
}

// CallerNamespace tells whether the service names namespace ns among its
// callers' (for any service accounts).
func (p *Paths) CallerNamespace(ns string, s ServiceRef) bool {
	for _, c := range s.Callers {
		if slices.Contains(c.Namespaces, ns) {
			return true
		}
	}
	return false
}

// AuthorizationCloses tells whether the spec promises that workload
// authorization denies a peer of namespace ns the service when no path
// allows it: with denyByDefault everywhere; without it only a service with
// callers, whose ALLOW policy also admits its own namespace.
func (p *Paths) AuthorizationCloses(ns string, s ServiceRef) bool {
	if p.Promises.Authorization {
		return true
	}
	return len(s.Callers) > 0 && ns != s.Namespace
}

// Principal is the workload identity of a service account, as the peer
// certificate carries it.
func (p *Paths) Principal(ns, serviceAccount string) string {
	return "spiffe://" + p.TrustDomain + "/ns/" + ns + "/sa/" + serviceAccount
}

// Tenant returns the tenant owning a namespace ("" when none does).
func (p *Paths) Tenant(ns string) string {
	for _, n := range p.Namespaces {
		if n.Name == ns {
			return n.Tenant
		}
	}
	return ""
}

// SpecWorkloads returns the workloads a spec's services and egress hosts
// need and the cluster does not have yet, as their owners would deploy
// them: for each service without a Service, a Service (port named http),
// a ServiceAccount and a Deployment per subset (one without subsets); for
// each in-cluster egress host without a Service, its Namespace, Service and
// Deployment; for each tenant namespace left without any Deployment, a
// client Deployment (service account client). The workload fixtures take
// precedence: nothing is added for what they hold.
func SpecWorkloads(p *Paths, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	have := map[string]bool{}
	deployments := map[string]bool{}
	for _, o := range objs {
		have[o.GetKind()+" "+namespacedName(o)] = true
		if o.GetKind() == "Deployment" {
			deployments[o.GetNamespace()] = true
		}
	}
	var out []*unstructured.Unstructured
	add := func(o *unstructured.Unstructured) {
		key := o.GetKind() + " " + namespacedName(o)
		if have[key] {
			return
		}
		have[key] = true
		if o.GetKind() == "Deployment" {
			deployments[o.GetNamespace()] = true
		}
		out = append(out, o)
	}
	for _, s := range p.Services {
		if have["Service "+s.Namespace+"/"+s.Name] {
			continue
		}
		add(workloadService(s.Namespace, s.Name, "http", s.Port))
		add(serviceAccount(s.Namespace, s.Name))
		if len(s.Subsets) == 0 {
			add(deployment(s.Namespace, s.Name, s.Name, s.Name, nil, s.Port))
		}
		for _, sub := range s.Subsets {
			add(deployment(s.Namespace, s.Name+"-"+sub.Name, s.Name, s.Name, sub.Labels, s.Port))
		}
	}
	for _, e := range p.Egress {
		if e.Location != schema.LocationCluster {
			continue
		}
		parts := strings.Split(e.Host, ".")
		if len(parts) < 2 || have["Service "+parts[1]+"/"+parts[0]] {
			continue
		}
		name, ns := parts[0], parts[1]
		portName := "https"
		if e.TLS == schema.TLSNone {
			portName = "http"
		}
		add(&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}})
		add(workloadService(ns, name, portName, e.Port))
		add(deployment(ns, name, name, "default", nil, e.Port))
	}
	for _, ns := range p.Namespaces {
		if !deployments[ns.Name] {
			add(serviceAccount(ns.Name, "client"))
			add(deployment(ns.Name, "client", "client", "client", nil, 8080))
		}
	}
	return out
}

func workloadService(ns, name, portName string, port int32) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app": name}},
		"spec": map[string]any{
			"selector": map[string]any{"app": name},
			"ports":    []any{map[string]any{"name": portName, "port": int64(port), "targetPort": int64(port), "protocol": "TCP"}},
		},
	}}
}

func serviceAccount(ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": name, "namespace": ns},
	}}
}

// deployment is a Deployment of one container listening on port, its pods
// labelled app=<app> plus the labels, running as serviceAccount.
func deployment(ns, name, app, serviceAccount string, extra map[string]string, port int32) *unstructured.Unstructured {
	labels := map[string]any{"app": app}
	for k, v := range extra {
		labels[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"serviceAccountName": serviceAccount,
					"containers": []any{map[string]any{
						"name": app, "image": "example.com/" + app + ":1.0",
						"ports": []any{map[string]any{"containerPort": int64(port)}},
					}},
				},
			},
		},
	}}
}
