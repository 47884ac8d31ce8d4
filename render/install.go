package render

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	iop "istio.io/istio/operator/pkg/apis"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	spec "github.com/meshwright/meshwright/schema"
)

// install renders the Mesh's own objects: the control plane and what it
// needs to run.
func install(mesh *spec.Mesh, ambient bool) []Object {
	m := &mesh.Spec
	objs := controlPlaneNamespaces(m)
	objs = append(objs, cniPodSecurityPolicy(m)...)
	switch m.ControlPlane.Install {
	case spec.InstallFlux:
		return append(objs, fluxInstall(m, chartReleases(m, ambient))...)
	case spec.InstallArgoCD:
		return append(objs, argoCDInstall(m, chartReleases(m, ambient))...)
	}
	for _, rev := range m.ControlPlane.Revisions {
		objs = append(objs, istioOperator(m, rev, ambient))
	}
	return objs
}

// controlPlaneNamespaces renders the control-plane namespace and the
// namespaces of gateways outside it, all labelled so tenants' NetworkPolicies
// admit traffic from them; and on clusters with Pod Security Admission the CNI
// namespace labelled privileged: the CNI DaemonSet writes to the host.
func controlPlaneNamespaces(m *spec.MeshSpec) []Object {
	cp := m.ControlPlane
	byName := map[string]*corev1.Namespace{}
	var objs []Object
	add := func(name string, labels map[string]string) *corev1.Namespace {
		if ns, ok := byName[name]; ok {
			return ns
		}
		ns := namespace(name, labels)
		byName[name] = ns
		objs = append(objs, ns)
		return ns
	}
	add(cp.Namespace, cp.NamespaceLabels)
	for _, gw := range m.Gateways.All() {
		add(gw.Namespace, cp.NamespaceLabels)
	}
	if cp.CNI.Enabled && podSecurityAdmission(m) {
		add(cp.CNI.Namespace, nil).Labels[LabelPodSecurityEnforce] = "privileged"
	}
	return objs
}

func namespace(name string, labels map[string]string) *corev1.Namespace {
	l := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		l[k] = v
	}
	meta := objectMeta("", name)
	meta.Labels = l
	return &corev1.Namespace{TypeMeta: typeNamespace, ObjectMeta: meta}
}

// podSecurityAdmission tells whether the cluster has Pod Security Admission
// (1.25 and later) rather than PodSecurityPolicy.
func podSecurityAdmission(m *spec.MeshSpec) bool {
	return m.KubernetesVersion.AtLeast(1, 25)
}

// istioOperator renders one revision's IstioOperator: the input to
// `istioctl install -f`, never applied to the cluster, hence local-config.
// Gateways and the CNI and ztunnel DaemonSets exist once per cluster and
// upgrade in place, so only the gatewayRevision's IstioOperator enables
// them. With ambient namespaces every revision's istiod serves ambient and
// its proxies speak HBONE, as Istio's ambient profile sets them (set here
// on the profile the Mesh chose).
func istioOperator(m *spec.MeshSpec, rev spec.Revision, ambient bool) Object {
	cp := m.ControlPlane
	owner := ownerRevision(cp).Name == rev.Name
	meta := objectMeta(cp.Namespace, "installed-state-"+rev.Name)
	meta.Annotations = map[string]string{AnnotationLocalConfig: "true"}
	op := &iop.IstioOperator{
		TypeMeta:   typeIstioOperator,
		ObjectMeta: meta,
		Spec: iop.IstioOperatorSpec{
			Profile:    cp.Profile,
			Hub:        cp.Hub,
			Tag:        rev.Version,
			Revision:   rev.Name,
			Namespace:  cp.Namespace,
			MeshConfig: meshConfig(m, ambient),
			Components: &iop.IstioComponentSpec{
				Cni: &iop.ComponentSpec{
					Enabled:   boolValue(owner && cp.CNI.Enabled),
					Namespace: cp.CNI.Namespace,
				},
				Pilot: &iop.ComponentSpec{
					Enabled: boolValue(true),
					Kubernetes: &iop.KubernetesResources{
						Env:       pilotEnv(m, ambient),
						Resources: pilotResources(cp),
						Strategy:  rollingStrategy(),
					},
				},
				IngressGateways: gatewayComponents(m.Gateways.Ingress, owner, ingressPorts),
				EgressGateways:  gatewayComponents(m.Gateways.Egress, owner, egressPorts),
			},
			Values: values(m, rev, ambient),
		},
	}
	if ambient {
		op.Spec.Components.Ztunnel = &iop.ComponentSpec{Enabled: boolValue(owner)}
	}
	return op
}

// ownerRevision is the revision that installs what exists once per cluster
// (gateways, CNI, ztunnel): the one gatewayRevision names or tags.
func ownerRevision(cp spec.ControlPlane) spec.Revision {
	name := resolveRevision(cp, cp.GatewayRevision)
	for _, rev := range cp.Revisions {
		if rev.Name == name {
			return rev
		}
	}
	return cp.Revisions[0] // unreachable: validation resolves gatewayRevision
}

// resolveRevision maps a tag to its revision; a revision name maps to itself.
func resolveRevision(cp spec.ControlPlane, name string) string {
	if rev, ok := cp.Tags[name]; ok {
		return rev
	}
	return name
}

// meshConfig is the revision's mesh configuration. istioctl lays it over
// Istio's defaults, which differ from the proto zero values: the outbound
// policy's zero, REGISTRY_ONLY, is spelled out, because omitting it (as proto
// JSON omits zero values) would leave Istio's default, ALLOW_ANY.
func meshConfig(m *spec.MeshSpec, ambient bool) json.RawMessage {
	mode := meshv1alpha1.MeshConfig_OutboundTrafficPolicy_REGISTRY_ONLY
	if m.ControlPlane.OutboundTrafficPolicy == spec.OutboundAllowAny {
		mode = meshv1alpha1.MeshConfig_OutboundTrafficPolicy_ALLOW_ANY
	}
	config := &meshv1alpha1.MeshConfig{
		AccessLogFile:         m.ControlPlane.AccessLogFile,
		EnablePrometheusMerge: wrapperspb.Bool(m.ControlPlane.PrometheusMerge),
		TrustDomain:           m.TrustDomain,
	}
	if ambient {
		// sidecars and gateways reach ambient pods over HBONE
		config.DefaultConfig = &meshv1alpha1.ProxyConfig{ProxyMetadata: map[string]string{"ISTIO_META_ENABLE_HBONE": "true"}}
	}
	mc := protoJSON(config)
	return withField(mc, "outboundTrafficPolicy", map[string]string{"mode": mode.String()})
}

// values are the Helm values of the revision's charts that the IstioOperator
// API has no field for.
func values(m *spec.MeshSpec, rev spec.Revision, ambient bool) json.RawMessage {
	return withTraceSampling(protoJSON(revisionValues(m, rev, ambient)), m.ControlPlane)
}

// revisionValues are the chart values an IstioOperator of the revision sets
// under spec.values; the Helm releases start from them too.
func revisionValues(m *spec.MeshSpec, rev spec.Revision, ambient bool) *iop.Values {
	cp := m.ControlPlane
	v := &iop.Values{
		Global: &iop.GlobalConfig{IstioNamespace: cp.Namespace},
		Pilot:  &iop.PilotConfig{Cni: &iop.CNIUsageConfig{Enabled: wrapperspb.Bool(cp.CNI.Enabled)}},
	}
	if ambient {
		v.Cni = &iop.CNIConfig{Ambient: &iop.CNIAmbientConfig{Enabled: wrapperspb.Bool(true)}}
	}
	if cp.Proxy != nil && cp.Proxy.Resources != nil {
		v.Global.Proxy = &iop.ProxyConfig{Resources: valuesResources(cp.Proxy.Resources)}
	}
	for _, tag := range slices.Sorted(maps.Keys(cp.Tags)) {
		if cp.Tags[tag] == rev.Name {
			v.RevisionTags = append(v.RevisionTags, tag)
		}
	}
	return v
}

// withTraceSampling sets pilot.traceSampling in the values explicitly: a
// zero would vanish from proto JSON and leave the chart's default of 1%.
func withTraceSampling(raw json.RawMessage, cp spec.ControlPlane) json.RawMessage {
	if cp.Pilot == nil || cp.Pilot.TraceSampling == nil {
		return raw
	}
	return withPilot(raw, map[string]any{"traceSampling": *cp.Pilot.TraceSampling})
}

// withPilot sets fields of the values' pilot object.
func withPilot(raw json.RawMessage, fields map[string]any) json.RawMessage {
	pilot := map[string]any{}
	_ = json.Unmarshal(fieldOf(raw, "pilot"), &pilot)
	maps.Copy(pilot, fields)
	return withField(raw, "pilot", pilot)
}

// pilotEnv is istiod's environment. BLOCKED_CIDRS_IN_JWKS_URIS keeps it
// from fetching JWKS from blocked networks: a jwksUri pointing at the
// metadata service would otherwise be fetched. With ambient namespaces it
// serves ambient, and in dry run it keeps dry-run policies for ztunnel, which
// would otherwise neither enforce nor log them.
func pilotEnv(m *spec.MeshSpec, ambient bool) []*corev1.EnvVar {
	var env []*corev1.EnvVar
	if len(m.Security.JWKSBlockedCIDRs) > 0 {
		env = append(env, &corev1.EnvVar{Name: "BLOCKED_CIDRS_IN_JWKS_URIS", Value: strings.Join(m.Security.JWKSBlockedCIDRs, ",")})
	}
	if ambient {
		env = append(env, &corev1.EnvVar{Name: "PILOT_ENABLE_AMBIENT", Value: "true"})
		if m.Security.DryRun {
			env = append(env, &corev1.EnvVar{Name: "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY", Value: "true"})
		}
	}
	return env
}

func pilotResources(cp spec.ControlPlane) *corev1.ResourceRequirements {
	if cp.Pilot == nil {
		return nil
	}
	return resources(cp.Pilot.Resources)
}

func resources(r *spec.Resources) *corev1.ResourceRequirements {
	if r == nil {
		return nil
	}
	return &corev1.ResourceRequirements{Requests: r.Requests, Limits: r.Limits}
}

func valuesResources(r *spec.Resources) *iop.Resources {
	out := &iop.Resources{}
	if len(r.Requests) > 0 {
		out.Requests = map[string]string{}
		for name, q := range r.Requests {
			out.Requests[string(name)] = q.String()
		}
	}
	if len(r.Limits) > 0 {
		out.Limits = map[string]string{}
		for name, q := range r.Limits {
			out.Limits[string(name)] = q.String()
		}
	}
	return out
}

// The gateway containers' HTTP and HTTPS ports: the targets of Service
// ports 80 and 443, and the ports policies at the gateway name.
const (
	gatewayHTTPPort  = 8080
	gatewayHTTPSPort = 8443
)

// Gateway Service ports. Ingress keeps the status port for load balancer
// health checks and 15443 for SNI-routed (sni-dnat) traffic, as the seed
// does; the demo profile's plain TCP port 31400 is left closed.
var (
	ingressPorts = []corev1.ServicePort{
		servicePort("status-port", 15021, 15021),
		servicePort("http2", 80, gatewayHTTPPort),
		servicePort("https", 443, gatewayHTTPSPort),
		servicePort("tls", 15443, 15443),
	}
	egressPorts = []corev1.ServicePort{
		servicePort("http2", 80, gatewayHTTPPort),
		servicePort("https", 443, gatewayHTTPSPort),
		servicePort("tls", 15443, 15443),
	}
)

func servicePort(name string, port, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromInt32(target)}
}

// gatewayComponents renders the gateways of one kind. A revision that does
// not own the gateways lists them disabled, so its profile's default gateway
// is not installed a second time.
func gatewayComponents(gws []spec.Gateway, owner bool, ports []corev1.ServicePort) []iop.GatewayComponentSpec {
	out := make([]iop.GatewayComponentSpec, 0, len(gws))
	for _, gw := range gws {
		// istiod deploys a gateway-api gateway; listed disabled, so that a
		// profile's default gateway of the same name is not installed too
		enabled := owner && !isGatewayAPI(gw)
		c := iop.GatewayComponentSpec{
			Name:          gw.Name,
			ComponentSpec: iop.ComponentSpec{Enabled: boolValue(enabled), Namespace: gw.Namespace},
		}
		if enabled {
			c.Label = gw.Labels
			c.Kubernetes = gatewayKubernetes(gw, ports)
		}
		out = append(out, c)
	}
	return out
}

func gatewayKubernetes(gw spec.Gateway, ports []corev1.ServicePort) *iop.KubernetesResources {
	return &iop.KubernetesResources{
		// sni-dnat lets the gateway route TLS by SNI without terminating it
		// (port 15443, cross-cluster traffic).
		Env:                []*corev1.EnvVar{{Name: "ISTIO_META_ROUTER_MODE", Value: "sni-dnat"}},
		HpaSpec:            gatewayAutoscaler(gw, gw.Name),
		Resources:          resources(gw.Resources),
		Service:            &corev1.ServiceSpec{Type: corev1.ServiceType(gw.Service.Type), Ports: ports},
		ServiceAnnotations: gw.Service.Annotations,
		Strategy:           rollingStrategy(),
	}
}

// gatewayAutoscaler scales a gateway's Deployment on CPU within the
// Mesh's bounds.
func gatewayAutoscaler(gw spec.Gateway, deployment string) *autoscalingv2.HorizontalPodAutoscalerSpec {
	min, cpu := gw.Autoscale.Min, gw.Autoscale.CPUUtilization
	return &autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: deployment},
		MinReplicas:    &min,
		MaxReplicas:    gw.Autoscale.Max,
		Metrics: []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &cpu},
			},
		}},
	}
}

// rollingStrategy surges a full new set of pods before old ones go, so a
// gateway or istiod keeps serving through an upgrade.
func rollingStrategy() *appsv1.DeploymentStrategy {
	surge, unavailable := intstr.FromString("100%"), intstr.FromString("25%")
	return &appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
	}
}

// boolValue builds the operator's BoolValue, whose field is unexported.
func boolValue(b bool) *iop.BoolValue {
	v := &iop.BoolValue{}
	if err := v.UnmarshalJSON([]byte(strconv.FormatBool(b))); err != nil {
		panic(err) // unreachable: the input is a JSON boolean
	}
	return v
}

// protoJSON encodes a proto message with its JSON field names, as istioctl
// reads it.
func protoJSON(m proto.Message) json.RawMessage {
	b, err := protojson.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", m, err)) // unreachable: built from typed fields
	}
	return b
}

// withField returns the JSON object obj with key set to value.
func withField(obj json.RawMessage, key string, value any) json.RawMessage {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(obj, &m); err != nil {
		panic(err) // unreachable: obj comes from protojson
	}
	b, err := json.Marshal(value)
	if err != nil {
		panic(err) // unreachable: plain values
	}
	m[key] = b
	out, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return out
}

// fieldOf returns the raw value of key in the JSON object obj.
func fieldOf(obj json.RawMessage, key string) json.RawMessage {
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(obj, &m)
	return m[key]
}
