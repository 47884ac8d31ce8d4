package schema

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The enumerations of the input API. The CUE schema admits exactly these
// values (a test ties the two), so code compares against the constants,
// never against string literals.

// TLSMode is how an exposed service terminates TLS at its ingress gateway
// (SIMPLE, MUTUAL, NONE), or how an egress gateway originates it (SIMPLE,
// MUTUAL).
type TLSMode string

const (
	TLSSimple TLSMode = "SIMPLE"
	TLSMutual TLSMode = "MUTUAL"
	TLSNone   TLSMode = "NONE"
)

// MTLSMode is the mesh-wide PeerAuthentication mode.
type MTLSMode string

const (
	MTLSStrict     MTLSMode = "STRICT"
	MTLSPermissive MTLSMode = "PERMISSIVE"
)

// OutboundTrafficPolicy is what sidecars do with hosts not in the registry.
type OutboundTrafficPolicy string

const (
	OutboundRegistryOnly OutboundTrafficPolicy = "REGISTRY_ONLY"
	OutboundAllowAny     OutboundTrafficPolicy = "ALLOW_ANY"
)

// Location tells whether an egress host is a Service of this cluster or
// outside it (which needs a ServiceEntry).
type Location string

const (
	LocationCluster  Location = "cluster"
	LocationExternal Location = "external"
)

// GatewayAPI is the API tenants attach to a gateway with.
type GatewayAPI string

const (
	// GatewayAPIIstio: Istio Gateway and VirtualService objects, the
	// gateway installed by the IstioOperator.
	GatewayAPIIstio GatewayAPI = "istio"
	// GatewayAPIKubernetes: a Kubernetes Gateway API Gateway that tenants
	// attach ListenerSets and HTTPRoutes to.
	GatewayAPIKubernetes GatewayAPI = "gateway-api"
)

// Dataplane is how a namespace's workloads join the mesh.
type Dataplane string

const (
	// DataplaneSidecar: a proxy injected into every pod.
	DataplaneSidecar Dataplane = "sidecar"
	// DataplaneAmbient: ztunnel on each node (L4), a waypoint for L7.
	DataplaneAmbient Dataplane = "ambient"
)

// InstallMethod is how the control plane reaches the cluster.
type InstallMethod string

const (
	// InstallIstioctl: an IstioOperator per revision, the input of
	// `istioctl install -f`, never applied.
	InstallIstioctl InstallMethod = "istioctl"
	// InstallArgoCD: Argo CD Applications that install Istio's Helm charts.
	InstallArgoCD InstallMethod = "argocd"
	// InstallFlux: Flux HelmReleases that install Istio's Helm charts.
	InstallFlux InstallMethod = "flux"
)

// Visibility is how much of the mesh a tenant namespace's proxies see.
type Visibility string

const (
	// VisibilityScoped: a Sidecar per tenant namespace limits it to what the
	// namespace may reach.
	VisibilityScoped Visibility = "scoped"
	// VisibilityMesh: no Sidecar, every proxy sees every service.
	VisibilityMesh Visibility = "mesh"
)

// OwnerKind is the RBAC subject kind of a tenant's owner.
type OwnerKind string

const (
	OwnerGroup          OwnerKind = "Group"
	OwnerUser           OwnerKind = "User"
	OwnerServiceAccount OwnerKind = "ServiceAccount"
)

// Duration is a Go duration as written in the input ("2160h"), parsed once
// when the input is decoded.
type Duration struct {
	time.Duration
	text string
}

// String is the duration as the user wrote it, for messages.
func (d Duration) String() string { return d.text }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration{Duration: v, text: s}
	return nil
}

// KubernetesVersion is a cluster's "MAJOR.MINOR", parsed once when the input
// is decoded.
type KubernetesVersion struct {
	Major, Minor int
}

func (v KubernetesVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast tells whether the version is major.minor or later.
func (v KubernetesVersion) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func (v *KubernetesVersion) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("kubernetes version: %w", err)
	}
	major, minor, ok := strings.Cut(s, ".")
	maj, errMaj := strconv.Atoi(major)
	min, errMin := strconv.Atoi(minor)
	if !ok || errMaj != nil || errMin != nil {
		return fmt.Errorf("kubernetes version %q: want MAJOR.MINOR", s)
	}
	*v = KubernetesVersion{Major: maj, Minor: min}
	return nil
}
