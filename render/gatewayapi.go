package render

import (
	"strconv"

	networking "istio.io/api/networking/v1alpha3"
	istiotype "istio.io/api/type/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapi "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	spec "github.com/meshwright/meshwright/schema"
)

// Gateways with api: gateway-api are Kubernetes Gateway API Gateways of
// class istio: istiod deploys each one (Deployment, Service, HPA) as
// <name>-istio, and tenants attach to it from their own namespaces, so their
// certificates and routes never live in the gateway's namespace. What this
// relies on in the pinned Istio (1.31) is cited in the README, "Gateway API
// gateways".

// gatewayClassIstio is the GatewayClass istiod serves for gateways it
// deploys.
const gatewayClassIstio = "istio"

// Annotations and names istiod reads from a Gateway it deploys.
const (
	// annotationServiceType sets the type of the Service istiod creates.
	annotationServiceType = "networking.istio.io/service-type"
	// deployedProxy is the container the gateway's Envoy runs in.
	deployedProxy = "istio-proxy"
)

// deployedName is the name istiod gives the Deployment, Service and
// ServiceAccount of a Gateway API Gateway of class istio.
func deployedName(gw spec.Gateway) string { return gw.Name + "-" + gatewayClassIstio }

// deployedService is the host name of that Service.
func deployedService(gw spec.Gateway) string {
	return deployedName(gw) + "." + gw.Namespace + ".svc.cluster.local"
}

// isGatewayAPI tells whether tenants attach to gw with the Gateway API.
func isGatewayAPI(gw spec.Gateway) bool { return gw.API == spec.GatewayAPIKubernetes }

// gatewayAPIGateways renders the Mesh's gateway-api gateways: each Gateway
// with the options istiod deploys it with.
func gatewayAPIGateways(mesh *spec.Mesh) []Object {
	m := &mesh.Spec
	source := sourceOf(mesh.Kind, mesh.Metadata.Name)
	var objs []Object
	for _, gw := range m.Gateways.Ingress {
		if isGatewayAPI(gw) {
			// ListenerSets only: each tenant brings its host and certificate
			objs = append(objs, kubernetesGateway(m, gw, source, gwapi.NamespacesFromSame), gatewayOptions(gw))
		}
	}
	for _, gw := range m.Gateways.Egress {
		if isGatewayAPI(gw) {
			// tenants' HTTPRoutes attach to its listener directly: no certificate to bring
			objs = append(objs, kubernetesGateway(m, gw, source, gwapi.NamespacesFromSelector), gatewayOptions(gw))
		}
	}
	return objs
}

// kubernetesGateway is a shared Gateway; an ingress one admits ListenerSets
// from tenant namespaces only. The Gateway API requires a listener of its own: plain
// HTTP on port 80 with no host, which answers 404 to hosts no tenant
// listens for, and takes routes from routesFrom (Same: the gateway's
// namespace, which tenants do not write to; Selector: tenant namespaces).
// It runs on the gatewayRevision's istiod, like Istio-API gateways.
//
// What istiod deploys carries the gateway's labels (its pods', as for an
// Istio-API gateway) and the Service's annotations, with the source: both
// always set, as otherwise istiod copies the Gateway's own labels and
// annotations, those of meshwright and of the tools applying it (Argo CD's
// tracking annotation would make Argo CD prune the Deployment).
func kubernetesGateway(m *spec.MeshSpec, gw spec.Gateway, source string, routesFrom gwapi.FromNamespaces) Object {
	meta := objectMeta(gw.Namespace, gw.Name)
	meta.Labels = map[string]string{LabelRevision: m.ControlPlane.GatewayRevision}
	meta.Annotations = map[string]string{annotationServiceType: string(gw.Service.Type)}
	routes := &gwapi.RouteNamespaces{From: &routesFrom}
	if routesFrom == gwapi.NamespacesFromSelector {
		routes.Selector = tenantNamespaces()
	}
	g := &gwapi.Gateway{
		TypeMeta:   typeKubernetesGateway,
		ObjectMeta: meta,
		Spec: gwapi.GatewaySpec{
			GatewayClassName: gatewayClassIstio,
			Infrastructure: &gwapi.GatewayInfrastructure{
				Labels:        map[gwapi.LabelKey]gwapi.LabelValue{},
				Annotations:   map[gwapi.AnnotationKey]gwapi.AnnotationValue{AnnotationSource: gwapi.AnnotationValue(source)},
				ParametersRef: &gwapi.LocalParametersReference{Group: "", Kind: "ConfigMap", Name: gatewayOptionsName(gw)},
			},
			Listeners: []gwapi.Listener{{
				Name:          "http",
				Port:          80,
				Protocol:      gwapi.HTTPProtocolType,
				AllowedRoutes: &gwapi.AllowedRoutes{Namespaces: routes},
			}},
		},
	}
	if routesFrom == gwapi.NamespacesFromSame {
		// an ingress gateway takes tenants' ListenerSets; an egress one
		// none (the default): nothing of a tenant listens there
		from := gwapi.NamespacesFromSelector
		g.Spec.AllowedListeners = &gwapi.AllowedListeners{Namespaces: &gwapi.ListenerNamespaces{From: &from, Selector: tenantNamespaces()}}
	}
	for k, v := range gw.Labels {
		g.Spec.Infrastructure.Labels[gwapi.LabelKey(k)] = gwapi.LabelValue(v)
	}
	for k, v := range gw.Service.Annotations {
		g.Spec.Infrastructure.Annotations[gwapi.AnnotationKey(k)] = gwapi.AnnotationValue(v)
	}
	return g
}

// tenantNamespaces selects the namespaces meshwright renders for tenants.
func tenantNamespaces() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: LabelTenant, Operator: metav1.LabelSelectorOpExists}}}
}

func gatewayOptionsName(gw spec.Gateway) string { return fitName(gw.Name+"-options", maxLabelValue) }

// gatewayOptions is the ConfigMap a Gateway's parametersRef names: the
// strategic-merge patches istiod applies to what it deploys, carrying what
// an IstioOperator says of an Istio-API gateway (autoscaling, resources,
// the rolling strategy). istiod creates an HPA only when given one.
func gatewayOptions(gw spec.Gateway) Object {
	hpa := map[string]any{"spec": gatewayAutoscaler(gw, deployedName(gw))}
	podSpec := map[string]any{}
	if r := resources(gw.Resources); r != nil {
		podSpec["containers"] = []corev1.Container{{Name: deployedProxy, Resources: *r}}
	}
	deployment := map[string]any{"spec": map[string]any{
		"strategy": rollingStrategy(),
		"template": map[string]any{"spec": podSpec},
	}}
	if len(podSpec) == 0 {
		delete(deployment["spec"].(map[string]any), "template")
	}
	return &corev1.ConfigMap{
		TypeMeta:   typeConfigMap,
		ObjectMeta: objectMeta(gw.Namespace, gatewayOptionsName(gw)),
		Data: map[string]string{
			"deployment":              mustYAML(deployment),
			"horizontalPodAutoscaler": mustYAML(hpa),
		},
	}
}

func mustYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		panic("render: " + err.Error()) // unreachable: upstream types and maps of them
	}
	return string(b)
}

// gatewayAPIIngress puts a service on a gateway-api gateway, all in the
// service's namespace: a ListenerSet with a listener for its host (HTTPS
// with its certificate, or HTTP), the Certificate, and the HTTPRoute to
// the service.
func gatewayAPIIngress(m *spec.MeshSpec, s spec.Service, gw spec.Gateway) []Object {
	objs := []Object{listenerSet(s, gw), httpRoute(s)}
	if s.Ingress.TLS != spec.TLSNone {
		objs = append(objs, certificate(m.Certificates, s.Namespace, listenerCertificate(s), s.Ingress.Host, cmServerUsages...))
	}
	return objs
}

// listenerCertificate is the Secret, in the service's namespace, holding
// the certificate of a service on a gateway-api gateway: <service>-cert.
func listenerCertificate(s spec.Service) string { return fitName(s.Name+"-cert", maxLabelValue) }

// listenerSet attaches the service's host to the shared Gateway.
func listenerSet(s spec.Service, gw spec.Gateway) Object {
	host := gwapi.Hostname(s.Ingress.Host)
	same := gwapi.NamespacesFromSame
	l := gwapi.ListenerEntry{
		Name:          "http",
		Hostname:      &host,
		Port:          80,
		Protocol:      gwapi.HTTPProtocolType,
		AllowedRoutes: &gwapi.AllowedRoutes{Namespaces: &gwapi.RouteNamespaces{From: &same}},
	}
	if s.Ingress.TLS != spec.TLSNone {
		terminate := gwapi.TLSModeTerminate
		l.Name, l.Port, l.Protocol = "https", 443, gwapi.HTTPSProtocolType
		l.TLS = &gwapi.ListenerTLSConfig{
			Mode:            &terminate,
			CertificateRefs: []gwapi.SecretObjectReference{{Name: gwapi.ObjectName(listenerCertificate(s))}},
		}
	}
	ns := gwapi.Namespace(gw.Namespace)
	return &gwapi.ListenerSet{
		TypeMeta:   typeListenerSet,
		ObjectMeta: objectMeta(s.Namespace, s.Name),
		Spec: gwapi.ListenerSetSpec{
			ParentRef: gwapi.ParentGatewayReference{
				Group: ptrTo(gwapi.Group(gwapi.GroupName)), Kind: ptrTo(gwapi.Kind("Gateway")),
				Name: gwapi.ObjectName(gw.Name), Namespace: &ns,
			},
			Listeners: []gwapi.ListenerEntry{l},
		},
	}
}

// httpRoute routes the host's matching paths from the service's ListenerSet
// to the service.
func httpRoute(s spec.Service) Object {
	rule := gwapi.HTTPRouteRule{
		BackendRefs: []gwapi.HTTPBackendRef{{BackendRef: gwapi.BackendRef{BackendObjectReference: gwapi.BackendObjectReference{
			Group: ptrTo(gwapi.Group("")), Kind: ptrTo(gwapi.Kind("Service")), Name: gwapi.ObjectName(s.Name), Port: ptrTo(gwapi.PortNumber(s.Port)),
		}}}},
	}
	for _, r := range s.Ingress.Routes {
		rule.Matches = append(rule.Matches, gwapi.HTTPRouteMatch{Path: pathMatch(r)})
	}
	return &gwapi.HTTPRoute{
		TypeMeta:   typeHTTPRoute,
		ObjectMeta: objectMeta(s.Namespace, s.Name),
		Spec: gwapi.HTTPRouteSpec{
			CommonRouteSpec: gwapi.CommonRouteSpec{ParentRefs: []gwapi.ParentReference{{
				Group: ptrTo(gwapi.Group(gwapi.GroupName)), Kind: ptrTo(gwapi.Kind("ListenerSet")), Name: gwapi.ObjectName(s.Name),
			}}},
			Hostnames: []gwapi.Hostname{gwapi.Hostname(s.Ingress.Host)},
			Rules:     []gwapi.HTTPRouteRule{rule},
		},
	}
}

// pathMatch is a route's URI match as the Gateway API writes it.
func pathMatch(r spec.Route) *gwapi.HTTPPathMatch {
	switch {
	case r.Exact != "":
		return &gwapi.HTTPPathMatch{Type: ptrTo(gwapi.PathMatchExact), Value: ptrTo(r.Exact)}
	case r.Prefix != "":
		return &gwapi.HTTPPathMatch{Type: ptrTo(gwapi.PathMatchPathPrefix), Value: ptrTo(r.Prefix)}
	default:
		return &gwapi.HTTPPathMatch{Type: ptrTo(gwapi.PathMatchRegularExpression), Value: ptrTo(r.Regex)}
	}
}

// everyPath matches every request, as a rule without matches does: said,
// as the API server's defaults would say it.
func everyPath() []gwapi.HTTPRouteMatch {
	return []gwapi.HTTPRouteMatch{{Path: &gwapi.HTTPPathMatch{Type: ptrTo(gwapi.PathMatchPathPrefix), Value: ptrTo("/")}}}
}

// gatewayAPIEgress sends one egress entry's traffic through a gateway-api
// egress gateway, all from the entry's namespace: the application talks
// plain HTTP on port 80, an HTTPRoute on the ServiceEntry sends it to the
// gateway (Istio mutual TLS: both ends are in the mesh), an HTTPRoute on
// the gateway's listener sends it on to the host's port, and a
// DestinationRule exported to the gateway's namespace makes the gateway
// originate TLS (SIMPLE: MUTUAL and in-cluster hosts are refused by the
// schema rules, as the gateway could not read them from here).
func gatewayAPIEgress(e spec.Egress, gw spec.Gateway) []Object {
	istioGroup := ptrTo(gwapi.Group("networking.istio.io"))
	toGateway := &gwapi.HTTPRoute{
		TypeMeta:   typeHTTPRoute,
		ObjectMeta: objectMeta(e.Namespace, "direct-"+e.Name+"-to-egress-gateway"),
		Spec: gwapi.HTTPRouteSpec{
			CommonRouteSpec: gwapi.CommonRouteSpec{ParentRefs: []gwapi.ParentReference{{
				Group: istioGroup, Kind: ptrTo(gwapi.Kind("ServiceEntry")), Name: gwapi.ObjectName(e.Name), Port: ptrTo(gwapi.PortNumber(80)),
			}}},
			Rules: []gwapi.HTTPRouteRule{{Matches: everyPath(), BackendRefs: []gwapi.HTTPBackendRef{{BackendRef: gwapi.BackendRef{BackendObjectReference: gwapi.BackendObjectReference{
				Group: istioGroup, Kind: ptrTo(gwapi.Kind("Hostname")), Name: gwapi.ObjectName(deployedService(gw)), Port: ptrTo(gwapi.PortNumber(80)),
			}}}}}},
		},
	}
	gwNamespace := gwapi.Namespace(gw.Namespace)
	fromGateway := &gwapi.HTTPRoute{
		TypeMeta:   typeHTTPRoute,
		ObjectMeta: objectMeta(e.Namespace, "forward-"+e.Name+"-from-egress-gateway"),
		Spec: gwapi.HTTPRouteSpec{
			CommonRouteSpec: gwapi.CommonRouteSpec{ParentRefs: []gwapi.ParentReference{{
				Group: ptrTo(gwapi.Group(gwapi.GroupName)), Kind: ptrTo(gwapi.Kind("Gateway")), Name: gwapi.ObjectName(gw.Name), Namespace: &gwNamespace,
			}}},
			Hostnames: []gwapi.Hostname{gwapi.Hostname(e.Host)},
			Rules: []gwapi.HTTPRouteRule{{Matches: everyPath(), BackendRefs: []gwapi.HTTPBackendRef{{BackendRef: gwapi.BackendRef{BackendObjectReference: gwapi.BackendObjectReference{
				Group: istioGroup, Kind: ptrTo(gwapi.Kind("Hostname")), Name: gwapi.ObjectName(e.Host), Port: ptrTo(gwapi.PortNumber(e.Port)),
			}}}}}},
		},
	}
	return []Object{externalServiceEntry(e, gw), toGateway, fromGateway, originateTLSFromEntryNamespace(e, gw)}
}

// originateTLSFromEntryNamespace makes the egress gateway open TLS to the
// host, verified against the proxy's system roots. The gateway reads it
// from the namespace of the host's ServiceEntry, where it is exported to the
// gateway's namespace only: without a workload selector (which would limit
// it to this namespace's workloads), and no sidecar sends to the host's port.
func originateTLSFromEntryNamespace(e spec.Egress, gw spec.Gateway) Object {
	return &networkingv1.DestinationRule{
		TypeMeta:   typeDestinationRule,
		ObjectMeta: objectMeta(e.Namespace, "originate-tls-for-"+e.Name),
		Spec: networking.DestinationRule{
			Host:     e.Host,
			ExportTo: []string{gw.Namespace},
			TrafficPolicy: &networking.TrafficPolicy{
				PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
					Port: &networking.PortSelector{Number: uint32(e.Port)},
					Tls: &networking.ClientTLSSettings{
						Mode:            networking.ClientTLSSettings_SIMPLE,
						Sni:             e.Host,
						SubjectAltNames: []string{e.Host},
						CaCertificates:  systemRoots,
					},
				}},
			},
		},
	}
}

// gatewayTarget binds a policy in the gateway's namespace to a Gateway API
// Gateway (a selector would not follow istiod's labels).
func gatewayTarget(gw spec.Gateway) []*istiotype.PolicyTargetReference {
	return []*istiotype.PolicyTargetReference{{Group: gwapi.GroupName, Kind: "Gateway", Name: gw.Name}}
}

// gatewayPorts are the ports a gateway's Envoy receives HTTP and HTTPS on:
// the IstioOperator's container ports behind Service ports 80 and 443, or
// for a Gateway API Gateway its listeners' ports themselves.
func gatewayPorts(gw spec.Gateway) []string {
	if isGatewayAPI(gw) {
		return []string{"80", "443"}
	}
	return []string{strconv.Itoa(gatewayHTTPPort), strconv.Itoa(gatewayHTTPSPort)}
}

// tenantIssuers renders, once per namespace, the Issuer (with its Vault
// login) that Certificates of a tenant's services on gateway-api gateways
// need: a Certificate uses an Issuer of its own namespace.
func tenantIssuers(m *spec.MeshSpec, t *spec.Tenant) []Object {
	var objs []Object
	seen := map[string]bool{}
	for _, s := range t.Spec.Services {
		if s.Ingress == nil || s.Ingress.TLS == spec.TLSNone || seen[s.Namespace] {
			continue
		}
		if isGatewayAPI(findGateway(m.Gateways.Ingress, s.Ingress.Gateway)) {
			seen[s.Namespace] = true
			objs = append(objs, vaultIssuer(m.Certificates, s.Namespace)...)
		}
	}
	return objs
}

func ptrTo[T any](v T) *T { return &v }
