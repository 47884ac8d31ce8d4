package render

import (
	"encoding/json"
	"slices"

	"google.golang.org/protobuf/types/known/structpb"
	iop "istio.io/istio/operator/pkg/apis"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	spec "github.com/meshwright/meshwright/schema"
)

// chartRelease is one Helm release of Istio's charts. Flux and Argo CD
// install the same releases; only the objects that say so differ.
type chartRelease struct {
	name      string // the Helm release name
	chart     string // Istio's published chart: base, istiod, cni, ztunnel, gateway
	version   string // the chart version: the Istio version of its revision
	namespace string // the namespace the release installs into
	values    json.RawMessage
	after     []string // releases that must be ready first
}

// Release names as Istio's Helm installation guide gives them.
const (
	releaseBase    = "istio-base"
	releaseCNI     = "istio-cni"
	releaseZtunnel = "ztunnel"
)

// chartReleases are the Helm releases that install what the IstioOperators
// describe: istiod once per revision; the CRDs and default validation
// (base), the CNI, ztunnel and the gateways once per cluster, from the
// revision gatewayRevision names, as its IstioOperator would install them.
// A gateway-api gateway is istiod's to deploy, so it has no release.
func chartReleases(m *spec.MeshSpec, ambient bool) []chartRelease {
	cp := m.ControlPlane
	owner := ownerRevision(cp)
	ownerIstiod := istiodRelease(owner)
	rels := []chartRelease{{
		name: releaseBase, chart: "base", version: owner.Version, namespace: cp.Namespace,
		values: baseValues(cp),
	}}
	for _, rev := range cp.Revisions {
		rels = append(rels, chartRelease{
			name: istiodRelease(rev), chart: "istiod", version: rev.Version, namespace: cp.Namespace,
			values: istiodValues(m, rev, ambient), after: []string{releaseBase},
		})
	}
	if cp.CNI.Enabled {
		rels = append(rels, chartRelease{
			name: releaseCNI, chart: "cni", version: owner.Version, namespace: cp.CNI.Namespace,
			values: cniValues(m, owner, ambient), after: []string{releaseBase},
		})
	}
	if ambient {
		rels = append(rels, chartRelease{
			name: releaseZtunnel, chart: "ztunnel", version: owner.Version, namespace: cp.Namespace,
			values: ztunnelValues(m, owner), after: []string{ownerIstiod, releaseCNI},
		})
	}
	for _, g := range []struct {
		list  []spec.Gateway
		ports []corev1.ServicePort
	}{{m.Gateways.Ingress, ingressPorts}, {m.Gateways.Egress, egressPorts}} {
		for _, gw := range g.list {
			if isGatewayAPI(gw) {
				continue
			}
			rels = append(rels, chartRelease{
				name: gw.Name, chart: "gateway", version: owner.Version, namespace: gw.Namespace,
				values: gatewayValues(gw, owner, g.ports), after: []string{ownerIstiod},
			})
		}
	}
	return rels
}

func istiodRelease(rev spec.Revision) string { return "istiod-" + rev.Name }

// wave is a release's place in the install order: one after the latest of
// the releases it waits for.
func wave(rels []chartRelease, r chartRelease) int {
	w := 0
	for _, dep := range r.after {
		i := slices.IndexFunc(rels, func(o chartRelease) bool { return o.name == dep })
		if i >= 0 {
			w = max(w, wave(rels, rels[i])+1)
		}
	}
	return w
}

// baseValues point Istio's default validation webhook at the default
// revision's istiod Service, istiod-<revision>: the chart's own default
// points at an unrevisioned istiod, which a Mesh never installs, and a tag
// has no Service of that name (istiod-revision-tag-<tag>).
func baseValues(cp spec.ControlPlane) json.RawMessage {
	return protoJSON(&iop.Values{
		Global:          &iop.GlobalConfig{IstioNamespace: cp.Namespace},
		DefaultRevision: resolveRevision(cp, cp.DefaultRevision),
	})
}

// istiodValues are the revision's IstioOperator settings as the istiod
// chart's values: its spec.values, with what the IstioOperator says in its
// own fields (hub, tag, revision, profile, mesh config, istiod's environment,
// resources and rollout) moved to the values the chart reads them from.
func istiodValues(m *spec.MeshSpec, rev spec.Revision, ambient bool) json.RawMessage {
	cp := m.ControlPlane
	v := revisionValues(m, rev, ambient)
	v.Revision = rev.Name
	v.Profile = chartProfile(cp.Profile)
	v.Global.Platform = chartPlatform(cp.Profile)
	v.Global.Hub, v.Global.Tag = cp.Hub, structpb.NewStringValue(rev.Version)
	v.MeshConfig = structValue(meshConfig(m, ambient))
	v.Pilot.Env = envStruct(pilotEnv(m, ambient))
	if r := pilotResources(cp); r != nil {
		v.Pilot.Resources = valuesResources(&spec.Resources{Requests: r.Requests, Limits: r.Limits})
	}
	rolling := rollingStrategy().RollingUpdate
	return withPilot(withTraceSampling(protoJSON(v), cp), map[string]any{
		"rollingMaxSurge":       rolling.MaxSurge.String(),
		"rollingMaxUnavailable": rolling.MaxUnavailable.String(),
	})
}

// cniValues install the CNI node agent of the owning revision.
func cniValues(m *spec.MeshSpec, owner spec.Revision, ambient bool) json.RawMessage {
	cp := m.ControlPlane
	return protoJSON(&iop.Values{
		Global:   &iop.GlobalConfig{IstioNamespace: cp.Namespace, Hub: cp.Hub, Tag: structpb.NewStringValue(owner.Version), Platform: chartPlatform(cp.Profile)},
		Profile:  chartProfile(cp.Profile),
		Revision: owner.Name,
		Cni:      revisionValues(m, owner, ambient).Cni,
	})
}

// ztunnelValues install ztunnel, connected to the owning revision's istiod.
// The ztunnel chart reads its settings at the top level, not under ztunnel.
func ztunnelValues(m *spec.MeshSpec, owner spec.Revision) json.RawMessage {
	cp := m.ControlPlane
	return mustJSON(map[string]any{
		"hub":            cp.Hub,
		"tag":            owner.Version,
		"revision":       owner.Name,
		"istioNamespace": cp.Namespace,
	})
}

// gatewayChartValues are the gateway chart's values meshwright sets. The
// chart has no Go types; its values.schema.json is what the conformance
// tests check these against, with Helm's own validation.
type gatewayChartValues struct {
	Revision       string                     `json:"revision"`
	Labels         map[string]string          `json:"labels"`
	ServiceAccount gatewayChartServiceAccount `json:"serviceAccount"`
	Service        gatewayChartService        `json:"service"`
	Resources      *iop.Resources             `json:"resources,omitempty"`
	Autoscaling    gatewayChartAutoscaling    `json:"autoscaling"`
	Env            map[string]string          `json:"env"`
	Strategy       *appsv1.DeploymentStrategy `json:"strategy"`
	// PodDisruptionBudget is rendered by the chart only when the gateway
	// runs more than one replica, as the IstioOperator's gateway chart does
	PodDisruptionBudget *policyv1.PodDisruptionBudgetSpec `json:"podDisruptionBudget"`
}

type gatewayChartServiceAccount struct {
	Name string `json:"name"`
}

type gatewayChartService struct {
	Type        corev1.ServiceType   `json:"type"`
	Annotations map[string]string    `json:"annotations,omitempty"`
	Ports       []corev1.ServicePort `json:"ports"`
}

type gatewayChartAutoscaling struct {
	Enabled                        bool  `json:"enabled"`
	MinReplicas                    int32 `json:"minReplicas"`
	MaxReplicas                    int32 `json:"maxReplicas"`
	TargetCPUUtilizationPercentage int32 `json:"targetCPUUtilizationPercentage"`
}

// gatewayValues are what the IstioOperator's gateway component says, as
// the gateway chart's values. The chart's proxy is injected by the owning
// revision, named rather than tagged, so that moving gatewayRevision
// upgrades the gateways through a change of this release.
func gatewayValues(gw spec.Gateway, owner spec.Revision, ports []corev1.ServicePort) json.RawMessage {
	hpa := gatewayAutoscaler(gw, gw.Name)
	minAvailable := intstr.FromInt32(1)
	v := gatewayChartValues{
		Revision:       owner.Name,
		Labels:         gw.Labels,
		ServiceAccount: gatewayChartServiceAccount{Name: gatewayServiceAccount(gw)},
		Service: gatewayChartService{
			Type:        corev1.ServiceType(gw.Service.Type),
			Annotations: gw.Service.Annotations,
			Ports:       ports,
		},
		Autoscaling: gatewayChartAutoscaling{
			Enabled:                        true,
			MinReplicas:                    *hpa.MinReplicas,
			MaxReplicas:                    hpa.MaxReplicas,
			TargetCPUUtilizationPercentage: cpuTarget(hpa),
		},
		Env:                 map[string]string{},
		Strategy:            rollingStrategy(),
		PodDisruptionBudget: &policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvailable},
	}
	for _, e := range gatewayKubernetes(gw, ports).Env {
		v.Env[e.Name] = e.Value
	}
	if gw.Resources != nil {
		v.Resources = valuesResources(gw.Resources)
	}
	return mustJSON(v)
}

func cpuTarget(hpa *autoscalingv2.HorizontalPodAutoscalerSpec) int32 {
	return *hpa.Metrics[0].Resource.Target.AverageUtilization
}

// chartProfile maps an istioctl profile to the charts' profile of the same
// intent. The charts have no default, minimal or empty profile: their
// defaults are the default profile's, and which components exist is the
// choice of releases here. OpenShift is a platform, not a profile, in the
// charts.
func chartProfile(profile string) string {
	switch profile {
	case "default", "minimal", "empty", "openshift":
		return ""
	}
	return profile
}

func chartPlatform(profile string) string {
	if profile == "openshift" {
		return "openshift"
	}
	return ""
}

// envStruct is an environment as the charts' env map.
func envStruct(env []*corev1.EnvVar) *structpb.Struct {
	if len(env) == 0 {
		return nil
	}
	fields := make(map[string]any, len(env))
	for _, e := range env {
		fields[e.Name] = e.Value
	}
	s, err := structpb.NewStruct(fields)
	if err != nil {
		panic(err) // unreachable: string values
	}
	return s
}

// structValue decodes JSON into a proto Value.
func structValue(raw json.RawMessage) *structpb.Value {
	v := &structpb.Value{}
	if err := v.UnmarshalJSON(raw); err != nil {
		panic(err) // unreachable: raw comes from protojson
	}
	return v
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // unreachable: plain values
	}
	return b
}
