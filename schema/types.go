package schema

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// The Go side of the input API. Field names and JSON names follow the CUE
// schema exactly: values are decoded from the CUE value after validation and
// defaulting, so every field here is already checked and filled in.

// APIVersion is the group/version of every meshwright input.
const APIVersion = "meshwright.dev/v1alpha1"

// The two input kinds, also the names of their CUE definitions (#Mesh, #Tenant).
const (
	KindMesh   = "Mesh"
	KindTenant = "Tenant"
)

// Metadata is the part of an input's metadata that meshwright reads.
type Metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Mesh is the mesh admin's input: control plane, gateways, mesh-wide security.
type Mesh struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       MeshSpec `json:"spec"`

	Origin Origin `json:"-"`
}

type MeshSpec struct {
	KubernetesVersion KubernetesVersion `json:"kubernetesVersion"`
	Domain            string            `json:"domain"`
	TrustDomain       string            `json:"trustDomain"`
	ControlPlane      ControlPlane      `json:"controlPlane"`
	Gateways          Gateways          `json:"gateways"`
	Security          Security          `json:"security"`
	Certificates      *Certificates     `json:"certificates,omitempty"`
	NetworkPolicy     NetworkPolicySpec `json:"networkPolicy"`
	Visibility        Visibility        `json:"visibility"`
	Dataplane         Dataplane         `json:"dataplane"`
}

type ControlPlane struct {
	Namespace             string                `json:"namespace"`
	NamespaceLabels       map[string]string     `json:"namespaceLabels"`
	Hub                   string                `json:"hub"`
	Profile               string                `json:"profile"`
	Revisions             []Revision            `json:"revisions"`
	Tags                  map[string]string     `json:"tags,omitempty"`
	DefaultRevision       string                `json:"defaultRevision"`
	GatewayRevision       string                `json:"gatewayRevision"`
	CNI                   CNI                   `json:"cni"`
	Pilot                 *Pilot                `json:"pilot,omitempty"`
	Proxy                 *Proxy                `json:"proxy,omitempty"`
	AccessLogFile         string                `json:"accessLogFile"`
	OutboundTrafficPolicy OutboundTrafficPolicy `json:"outboundTrafficPolicy"`
	PrometheusMerge       bool                  `json:"prometheusMerge"`
	Install               InstallMethod         `json:"install"`
	ChartRepository       string                `json:"chartRepository,omitempty"`
	ArgoCD                ArgoCD                `json:"argocd"`
}

// ArgoCD is where the control plane's Applications live, with install argocd.
type ArgoCD struct {
	Namespace string `json:"namespace"`
	Project   string `json:"project"`
}

type Revision struct {
	Version string `json:"version"`
	Name    string `json:"name"`
}

type CNI struct {
	Enabled   bool   `json:"enabled"`
	Namespace string `json:"namespace"`
}

type Pilot struct {
	Resources     *Resources `json:"resources,omitempty"`
	TraceSampling *float64   `json:"traceSampling,omitempty"`
}

type Proxy struct {
	Resources *Resources `json:"resources,omitempty"`
}

// Resources are compute resources; quantities accept numbers and strings as
// Kubernetes does.
type Resources struct {
	Requests corev1.ResourceList `json:"requests,omitempty"`
	Limits   corev1.ResourceList `json:"limits,omitempty"`
}

type Gateways struct {
	Ingress []Gateway `json:"ingress"`
	Egress  []Gateway `json:"egress"`
}

// Gateway is an ingress or egress gateway; RequireJWT applies to ingress only.
type Gateway struct {
	Name       string            `json:"name"`
	Namespace  string            `json:"namespace"`
	API        GatewayAPI        `json:"api"`
	Labels     map[string]string `json:"labels"`
	Service    GatewayService    `json:"service"`
	Autoscale  Autoscale         `json:"autoscale"`
	Resources  *Resources        `json:"resources,omitempty"`
	RequireJWT bool              `json:"requireJWT,omitempty"`
}

// All returns the ingress gateways, then the egress gateways.
func (g Gateways) All() []Gateway { return slices.Concat(g.Ingress, g.Egress) }

type GatewayService struct {
	Type        corev1.ServiceType `json:"type"`
	Annotations map[string]string  `json:"annotations,omitempty"`
}

type Autoscale struct {
	Min            int32 `json:"min"`
	Max            int32 `json:"max"`
	CPUUtilization int32 `json:"cpuUtilization"`
}

type Security struct {
	MTLS             MTLSMode      `json:"mtls"`
	JWT              []JWTProvider `json:"jwt,omitempty"`
	JWKSBlockedCIDRs []string      `json:"jwksBlockedCIDRs"` // nil: not given, see applyDefaults
	DenyByDefault    bool          `json:"denyByDefault"`
	DryRun           bool          `json:"dryRun"`
}

type JWTProvider struct {
	Issuer               string `json:"issuer"`
	JWKSURI              string `json:"jwksUri,omitempty"`
	ForwardOriginalToken bool   `json:"forwardOriginalToken"`
}

type Certificates struct {
	Issuer      Issuer      `json:"issuer"`
	CertManager CertManager `json:"certManager"`
	ClientCA    *ClientCA   `json:"clientCA,omitempty"`
	Duration    Duration    `json:"duration"`
	RenewBefore Duration    `json:"renewBefore"`
}

type Issuer struct {
	Name  string `json:"name"`
	Vault Vault  `json:"vault"`
}

type Vault struct {
	Server         string `json:"server"`
	Path           string `json:"path"`
	Role           string `json:"role"`
	MountPath      string `json:"mountPath"`
	ServiceAccount string `json:"serviceAccount"`
}

type CertManager struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
}

type ClientCA struct {
	Secret SecretKeyRef `json:"secret"`
}

type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type NetworkPolicySpec struct {
	DenyByDefault bool `json:"denyByDefault"`
}

// Tenant is one application team's input.
type Tenant struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   Metadata   `json:"metadata"`
	Spec       TenantSpec `json:"spec"`

	Origin Origin `json:"-"`
}

type TenantSpec struct {
	Owners     []Owner     `json:"owners,omitempty"`
	Revision   string      `json:"revision,omitempty"`
	Dataplane  Dataplane   `json:"dataplane,omitempty"`
	Namespaces []Namespace `json:"namespaces"`
	Services   []Service   `json:"services,omitempty"`
	Egress     []Egress    `json:"egress,omitempty"`
}

type Owner struct {
	Kind      OwnerKind `json:"kind"`
	Name      string    `json:"name"`
	Namespace string    `json:"namespace,omitempty"`
}

type Namespace struct {
	Name               string    `json:"name"`
	Revision           string    `json:"revision,omitempty"`
	Dataplane          Dataplane `json:"dataplane,omitempty"`
	AllowSameNamespace bool      `json:"allowSameNamespace"`
}

type Service struct {
	Name          string         `json:"name"`
	Namespace     string         `json:"namespace"`
	Port          int32          `json:"port"`
	Subsets       []Subset       `json:"subsets,omitempty"`
	Ingress       *Ingress       `json:"ingress,omitempty"`
	Authorization *Authorization `json:"authorization,omitempty"`
	Callers       []Caller       `json:"callers,omitempty"`
}

// Caller is who may call a service from inside the mesh: service accounts
// (any when empty) in namespaces of a tenant (all of its namespaces when
// the input names none: the loader fills them in).
type Caller struct {
	Tenant          string   `json:"tenant"`
	Namespaces      []string `json:"namespaces,omitempty"`
	ServiceAccounts []string `json:"serviceAccounts,omitempty"`
}

type Subset struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

type Ingress struct {
	Gateway string  `json:"gateway,omitempty"`
	Host    string  `json:"host,omitempty"`
	TLS     TLSMode `json:"tls"`
	Routes  []Route `json:"routes"`
}

// Route is one URI match; exactly one field is set.
type Route struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

type Authorization struct {
	Claims map[string][]string `json:"claims"`
}

type Egress struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Host      string   `json:"host"`
	Port      int32    `json:"port"`
	TLS       TLSMode  `json:"tls"`
	Location  Location `json:"location"`
	Gateway   string   `json:"gateway,omitempty"`
}
