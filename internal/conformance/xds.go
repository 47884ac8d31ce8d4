package conformance

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiosecurityv1 "istio.io/client-go/pkg/apis/security/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubefake "k8s.io/client-go/kubernetes/fake"
	gwapi "sigs.k8s.io/gateway-api/apis/v1"
	gatewayapifake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"
	"sigs.k8s.io/yaml"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/config/kube/gatewaycommon"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/xds/endpoints"
	xdsfake "istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/host"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/schema/gvr"
	"istio.io/istio/pkg/jwt"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/kube/kclient/clienttest"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/spiffe"
	"istio.io/istio/pkg/test"
	"istio.io/istio/pkg/wellknown"
)

// XDS is istiod's own configuration generation, from the istio module
// go.mod pins, over the objects of one cluster: pilot's in-process fake
// discovery server (istio.io/istio/pilot/test/xds, as Istio's own tests use
// it) fed the Istio configuration (every *.istio.io kind but the
// IstioOperator) as its config store and the Namespaces, Services, Pods
// and ServiceAccounts as the Kubernetes registry. What the API server and
// its controllers would add is added: an IP per Pod (and the Pod running
// and ready), a cluster IP per Service, an EndpointSlice per Service with
// the ready Pods it selects.
//
// A Proxy is the configuration istiod pushes to one Pod's Envoy (a sidecar,
// or a gateway when its istio-proxy container runs `proxy router`): its
// clusters, listeners and routes, which Route (outbound: where a request
// goes), Visibility (is a host in the config at all) and Authorize
// (inbound: do the RBAC filters admit a request) read.
type XDS struct {
	server      *xdsfake.FakeDiscoveryServer
	trustDomain string
	pods        []*unstructured.Unstructured
	podByIP     map[string]*unstructured.Unstructured
	services    []*unstructured.Unstructured
	proxies     map[string]*Proxy
}

// servesAmbient tells whether a namespace of the cluster is ambient.
func servesAmbient(objs []*unstructured.Unstructured) bool {
	return slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool {
		return o.GetKind() == "Namespace" && o.GetLabels()["istio.io/dataplane-mode"] == "ambient"
	})
}

// pilotEnv is the value the IstioOperators, or the istiod chart releases,
// give istiod's environment variable ("" when none does).
func pilotEnv(objs []*unstructured.Unstructured, name string) string {
	rels, _ := istiodReleases(objs) // a tree's releases are read (and refused) by TestChartsInstall
	for _, r := range rels {
		if v, ok, _ := unstructured.NestedString(r.Values, "pilot", "env", name); ok {
			return v
		}
	}
	for _, o := range objs {
		if o.GetKind() != "IstioOperator" {
			continue
		}
		env, _, _ := unstructured.NestedSlice(o.Object, "spec", "components", "pilot", "k8s", "env")
		for _, e := range env {
			if m := mapOf(e); m["name"] == name {
				v, _ := m["value"].(string)
				return v
			}
		}
	}
	return ""
}

// setFlag sets one of istiod's feature flags, and returns what restores it.
func setFlag(flag *bool, v bool) func() {
	old := *flag
	*flag = v
	return func() { *flag = old }
}

// quietIstio silences the logs of Istio's code running in the tests.
var quietIstio = sync.OnceFunc(func() {
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.NoneLevel)
	}
})

var (
	xdsSetup   sync.Once
	versionTag = regexp.MustCompile(`^\d+\.\d+\.\d+`)
)

// NewXDS starts the discovery server over the objects (the cluster as
// assembled after install) with the mesh config (the `mesh` key of the
// install's istio ConfigMap; "" for Istio's defaults). The server stops
// when the test ends.
func NewXDS(t test.Failer, objs []*unstructured.Unstructured, meshConfig string) *XDS {
	t.Helper()
	xdsSetup.Do(func() {
		quietIstio()
		// PILOT_JWT_ENABLE_REMOTE_JWKS=envoy: the proxies fetch the JWKS,
		// istiod does not (it would try the issuers' URIs from here).
		features.JwksFetchMode = jwt.Envoy
	})
	mc, err := mesh.ApplyMeshConfigDefaults(meshConfig)
	if err != nil {
		t.Fatalf("mesh config: %v", err)
	}
	x := &XDS{trustDomain: mc.GetTrustDomain(), podByIP: map[string]*unstructured.Unstructured{}, proxies: map[string]*Proxy{}}
	var configs strings.Builder
	for _, o := range objs {
		if isIstioConfig(o) {
			b, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatal(err)
			}
			configs.WriteString("---\n")
			configs.Write(b)
		}
	}
	var kube []runtime.Object
	for _, o := range objs {
		// the Gateway API controller reads its kinds, and the ServiceEntries
		// routes attach to, from Kubernetes; so does the ambient index the
		// policies
		if _, ok := kubeConfigResources[o.GetKind()]; ok && (o.GroupVersionKind().Group == gwapi.GroupName || isIstioConfig(o)) {
			typed, err := kubeConfigObject(o)
			if err != nil {
				t.Fatal(err)
			}
			kube = append(kube, typed)
		}
	}
	for _, o := range runtimeObjects(objs) {
		switch o.GetKind() {
		case "Pod":
			x.pods = append(x.pods, o)
			x.podByIP[podIP(o)] = o
		case "Service":
			x.services = append(x.services, o)
		}
		typed, err := typedObject(o)
		if err != nil {
			t.Fatal(err)
		}
		kube = append(kube, typed)
	}
	parsed, unknown, err := crd.ParseInputs(configs.String())
	if err != nil {
		t.Fatalf("reading the Istio configuration: %v", err)
	}
	for _, u := range unknown {
		t.Fatalf("%s %s/%s: a kind istiod does not read", u.Kind, u.Namespace, u.Name)
	}
	created := time.Now()
	for i := range parsed {
		// as istiod's Kubernetes config client does
		parsed[i].Domain = constants.DefaultClusterLocalDomain
		if parsed[i].CreationTimestamp.IsZero() {
			parsed[i].CreationTimestamp = created
		}
	}
	if servesAmbient(objs) {
		// as PILOT_ENABLE_AMBIENT=true, which the install then sets: the
		// server builds its ambient index (ztunnel's configuration)
		t.Cleanup(setFlag(&features.EnableAmbient, true))
		if pilotEnv(objs, "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY") == "true" {
			t.Cleanup(setFlag(&features.EnableWdsDryRunAuthzPol, true))
		}
	}
	x.server = xdsfake.NewFakeDiscoveryServer(t, xdsfake.FakeOptions{
		Configs:           parsed,
		KubernetesObjects: kube,
		MeshConfig:        mc,
		KubeClientBuilder: func(objects ...runtime.Object) kubelib.Client {
			c := trackedClient(objects...)
			// the fake registers the Gateway API CRDs but ListenerSet's
			clienttest.MakeCRD(t, c, gvr.ListenerSet)
			return c
		},
	})
	return x
}

// trackedClient is Istio's fake Kubernetes client holding the objects,
// added to its object tracker directly: the field-managed Create the
// default builder uses rebuilds a REST mapper per object, seconds for a
// few thousand.
func trackedClient(objects ...runtime.Object) kubelib.Client {
	c := kubelib.NewFakeClientWithVersion("")
	kube := c.Kube().(*kubefake.Clientset).Tracker()
	gateway := c.GatewayAPI().(*gatewayapifake.Clientset).Tracker()
	istio := c.Istio().(*istiofake.Clientset).Tracker()
	for _, o := range objects {
		if k := o.GetObjectKind().GroupVersionKind(); k.Group == gwapi.GroupName || strings.HasSuffix(k.Group, ".istio.io") {
			tracker := gateway
			if k.Group != gwapi.GroupName {
				tracker = istio
			}
			// Add guesses the resource from the kind, wrongly for
			// Gateway: the Gateway API objects are created with theirs
			res, ok := kubeConfigResources[k.Kind]
			if !ok {
				panic(fmt.Sprintf("no resource for Gateway API kind %s", k.Kind))
			}
			if err := tracker.Create(res, o, o.(metav1.Object).GetNamespace()); err != nil {
				panic(fmt.Sprintf("adding %s to the fake Kubernetes client: %v", k.Kind, err))
			}
			continue
		}
		if err := kube.Add(o); err != nil {
			panic(fmt.Sprintf("adding %T to the fake Kubernetes client: %v", o, err))
		}
	}
	return c
}

// typedKinds are the kinds the fake Kubernetes client holds, with their
// k8s.io/api, Istio or Gateway API types.
var typedKinds = map[string]func() runtime.Object{
	"Namespace":           func() runtime.Object { return &corev1.Namespace{} },
	"ServiceAccount":      func() runtime.Object { return &corev1.ServiceAccount{} },
	"Secret":              func() runtime.Object { return &corev1.Secret{} },
	"ConfigMap":           func() runtime.Object { return &corev1.ConfigMap{} },
	"Service":             func() runtime.Object { return &corev1.Service{} },
	"Pod":                 func() runtime.Object { return &corev1.Pod{} },
	"EndpointSlice":       func() runtime.Object { return &discoveryv1.EndpointSlice{} },
	"Gateway":             func() runtime.Object { return &gwapi.Gateway{} },
	"ListenerSet":         func() runtime.Object { return &gwapi.ListenerSet{} },
	"HTTPRoute":           func() runtime.Object { return &gwapi.HTTPRoute{} },
	"ServiceEntry":        func() runtime.Object { return &istionetworkingv1.ServiceEntry{} },
	"AuthorizationPolicy": func() runtime.Object { return &istiosecurityv1.AuthorizationPolicy{} },
	"PeerAuthentication":  func() runtime.Object { return &istiosecurityv1.PeerAuthentication{} },
}

// typedObject converts an object to its type, as the fake client holds it.
func typedObject(o *unstructured.Unstructured) (runtime.Object, error) {
	newTyped, ok := typedKinds[o.GetKind()]
	if !ok {
		return nil, fmt.Errorf("%s %s: a kind the tests do not give the fake Kubernetes client", o.GetKind(), namespacedName(o))
	}
	typed := newTyped()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, typed); err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.GetKind(), namespacedName(o), err)
	}
	return typed, nil
}

// kubeConfigResources are the resources of the kinds istiod's
// Kubernetes-fed controllers read here.
var kubeConfigResources = map[string]schema.GroupVersionResource{
	"Gateway": gvr.KubernetesGateway, "ListenerSet": gvr.ListenerSet, "HTTPRoute": gvr.HTTPRoute, "ServiceEntry": gvr.ServiceEntry,
	"AuthorizationPolicy": gvr.AuthorizationPolicy, "PeerAuthentication": gvr.PeerAuthentication,
}

// kubeConfigObject converts an object istiod's Kubernetes-fed controllers
// read to its type, as the fake client's clientsets hold them.
func kubeConfigObject(o *unstructured.Unstructured) (runtime.Object, error) {
	if o.GetKind() == "Gateway" {
		// the one istiod here serves every revision (as it does the
		// sidecars); which istiod takes a Gateway is DeployedGateways' check
		o = o.DeepCopy()
		labels := o.GetLabels()
		delete(labels, "istio.io/rev")
		o.SetLabels(labels)
	}
	typed, err := typedObject(o)
	if gw, ok := typed.(*gwapi.Gateway); ok {
		gw.Status.Addresses = []gwapi.GatewayStatusAddress{deployedAddress(gw)}
	}
	return typed, err
}

// deployedAddress is the address istiod writes into the status of a
// Gateway it deployed, once its Pods are ready: its Service's host name
// (the ambient index finds waypoints by it).
func deployedAddress(gw *gwapi.Gateway) gwapi.GatewayStatusAddress {
	servesWaypoints()
	class := gatewaycommon.ClassInfos[gatewaycommon.BuiltinGatewayClasses[gw.Spec.GatewayClassName]]
	name := gatewaycommon.GetDefaultName(gw.Name, &gw.Spec, class.DisableNameSuffix)
	hostname := gwapi.HostnameAddressType
	return gwapi.GatewayStatusAddress{Type: &hostname, Value: name + "." + gw.Namespace + ".svc.cluster.local"}
}

// isIstioConfig: the kinds istiod reads from its config store.
func isIstioConfig(o *unstructured.Unstructured) bool {
	g := o.GroupVersionKind().Group
	return strings.HasSuffix(g, ".istio.io") && g != "install.istio.io"
}

// runtimeObjects returns copies of the Kubernetes objects the registry
// reads, completed as the API server and the controllers would: Pods get an
// IP (10.x.y.z, in order), phase Running and condition Ready; Services a
// cluster IP (172.20.x.y) unless headless; and each Service selecting ready
// Pods an EndpointSlice.
func runtimeObjects(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out, pods, services []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace", "ServiceAccount", "Secret":
			out = append(out, o.DeepCopy())
		case "Pod":
			p := o.DeepCopy()
			if podIP(p) == "" {
				n := len(pods) + 1
				ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
				_ = unstructured.SetNestedField(p.Object, ip, "status", "podIP")
				_ = unstructured.SetNestedSlice(p.Object, []any{map[string]any{"ip": ip}}, "status", "podIPs")
			}
			_ = unstructured.SetNestedField(p.Object, "Running", "status", "phase")
			_ = unstructured.SetNestedSlice(p.Object, []any{map[string]any{"type": "Ready", "status": "True"}}, "status", "conditions")
			pods = append(pods, p)
		case "Service":
			s := o.DeepCopy()
			if ip, _, _ := unstructured.NestedString(s.Object, "spec", "clusterIP"); ip == "" {
				n := len(services) + 1
				ip = fmt.Sprintf("172.20.%d.%d", n>>8&255, n&255)
				_ = unstructured.SetNestedField(s.Object, ip, "spec", "clusterIP")
			}
			services = append(services, s)
		}
	}
	out = append(out, services...)
	out = append(out, pods...)
	byNamespace := map[string][]*unstructured.Unstructured{}
	for _, p := range pods {
		byNamespace[p.GetNamespace()] = append(byNamespace[p.GetNamespace()], p)
	}
	for _, s := range services {
		if slice := endpointSlice(s, byNamespace[s.GetNamespace()]); slice != nil {
			out = append(out, slice)
		}
	}
	return out
}

func podIP(pod *unstructured.Unstructured) string {
	ip, _, _ := unstructured.NestedString(pod.Object, "status", "podIP")
	return ip
}

// endpointSlice is the EndpointSlice the endpoint slice controller writes
// for a Service: its Pods (same namespace, selector matching), with the
// Service's target ports (a named one resolved from the first Pod's
// container ports).
func endpointSlice(svc *unstructured.Unstructured, pods []*unstructured.Unstructured) *unstructured.Unstructured {
	sel := selectorOf(svc)
	if len(sel) == 0 {
		return nil
	}
	var selected []*unstructured.Unstructured
	for _, p := range pods {
		if p.GetNamespace() == svc.GetNamespace() && labels.SelectorFromSet(sel).Matches(labels.Set(p.GetLabels())) {
			selected = append(selected, p)
		}
	}
	if len(selected) == 0 {
		return nil
	}
	svcPorts, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	var ports []any
	for _, sp := range svcPorts {
		m := mapOf(sp)
		target := containerPort(selected[0], m["targetPort"])
		if target == 0 {
			target = toInt(m["port"])
		}
		protocol, _ := m["protocol"].(string)
		port := map[string]any{"port": int64(target), "protocol": orDefault(protocol, "TCP")}
		if m["name"] != nil {
			port["name"] = m["name"]
		}
		ports = append(ports, port)
	}
	var eps []any
	for _, p := range selected {
		eps = append(eps, map[string]any{
			"addresses":  []any{podIP(p)},
			"conditions": map[string]any{"ready": true},
			"targetRef":  map[string]any{"kind": "Pod", "name": p.GetName(), "namespace": p.GetNamespace()},
		})
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
		"metadata": map[string]any{
			"name": svc.GetName() + "-conformance", "namespace": svc.GetNamespace(),
			"labels": map[string]any{"kubernetes.io/service-name": svc.GetName()},
		},
		"addressType": "IPv4",
		"endpoints":   eps,
		"ports":       ports,
	}}
}

// containerPort resolves a Service targetPort (a number, or the name of a
// container port) against a Pod.
func containerPort(pod *unstructured.Unstructured, target any) int {
	if n := toInt(target); n > 0 {
		return n
	}
	name, ok := target.(string)
	if !ok {
		return 0
	}
	containers, _, _ := unstructured.NestedSlice(pod.Object, "spec", "containers")
	for _, c := range containers {
		ports, _, _ := unstructured.NestedSlice(mapOf(c), "ports")
		for _, p := range ports {
			if mapOf(p)["name"] == name {
				return toInt(mapOf(p)["containerPort"])
			}
		}
	}
	return 0
}

func toInt(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case int:
		return n
	case float64:
		return int(n)
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}

// TrustDomain is the mesh's trust domain.
func (x *XDS) TrustDomain() string { return x.trustDomain }

// Pods returns the Pods of namespace ns ("" for all) the selector matches
// (all for an empty one), by name.
func (x *XDS) Pods(ns string, selector map[string]string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, p := range x.pods {
		if (ns == "" || p.GetNamespace() == ns) && labels.SelectorFromSet(selector).Matches(labels.Set(p.GetLabels())) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return namespacedName(out[i]) < namespacedName(out[j]) })
	return out
}

// PodByIP returns the Pod of an address, nil when none has it.
func (x *XDS) PodByIP(ip string) *unstructured.Unstructured { return x.podByIP[ip] }

// Proxy is the configuration istiod generates for one Pod's proxy.
type Proxy struct {
	x        *XDS
	Pod      *unstructured.Unstructured
	Router   bool   // a gateway (`proxy router`), else a sidecar
	Waypoint bool   // an ambient waypoint (`proxy waypoint`)
	Identity string // spiffe://<trust domain>/ns/<namespace>/sa/<service account>
	node     *model.Proxy

	once      sync.Once
	clusters  []*clusterv3.Cluster
	listeners []*listenerv3.Listener
	routes    []*routev3.RouteConfiguration
}

// ProxyOf returns the proxy of a Pod of the cluster (an error when the Pod
// has no istio-proxy container: no sidecar was injected).
func (x *XDS) ProxyOf(pod *unstructured.Unstructured) (*Proxy, error) {
	key := namespacedName(pod)
	if p := x.proxies[key]; p != nil {
		return p, nil
	}
	pod = x.podByIP[podIP(pod)]
	if pod == nil || namespacedName(pod) != key {
		return nil, fmt.Errorf("Pod %s is not in the cluster", key)
	}
	proxy := istioProxy(pod)
	if proxy == nil {
		return nil, fmt.Errorf("Pod %s has no istio-proxy container", key)
	}
	args, _, _ := unstructured.NestedStringSlice(proxy, "args")
	router, waypoint := contains(args, "router"), contains(args, "waypoint")
	sa, _, _ := unstructured.NestedString(pod.Object, "spec", "serviceAccountName")
	sa = orDefault(sa, "default")
	version := "1.30.0" // the proxy's version, from its image's tag when it has one
	if image, _ := proxy["image"].(string); image != "" {
		if i := strings.LastIndex(image, ":"); i >= 0 && versionTag.MatchString(image[i+1:]) {
			version = image[i+1:]
		}
	}
	podLabels := pod.GetLabels()
	node := &model.Proxy{
		Type:            model.SidecarProxy,
		ID:              pod.GetName() + "." + pod.GetNamespace(),
		IPAddresses:     []string{podIP(pod)},
		ConfigNamespace: pod.GetNamespace(),
		Labels:          podLabels,
		Metadata: &model.NodeMetadata{
			Namespace:    pod.GetNamespace(),
			Labels:       podLabels,
			ClusterID:    constants.DefaultClusterName,
			IstioVersion: version,
			WorkloadName: strings.TrimSuffix(pod.GetName(), "-0"),
		},
		VerifiedIdentity: &spiffe.Identity{TrustDomain: x.trustDomain, Namespace: pod.GetNamespace(), ServiceAccount: sa},
	}
	switch {
	case router:
		node.Type = model.Router
	case waypoint:
		node.Type = model.Waypoint
	}
	p := &Proxy{
		x: x, Pod: pod, Router: router, Waypoint: waypoint,
		Identity: fmt.Sprintf("spiffe://%s/ns/%s/sa/%s", x.trustDomain, pod.GetNamespace(), sa),
		node:     x.server.SetupProxy(node),
	}
	x.proxies[key] = p
	return p, nil
}

func istioProxy(pod *unstructured.Unstructured) map[string]any {
	containers, _, _ := unstructured.NestedSlice(pod.Object, "spec", "containers")
	for _, c := range containers {
		if m := mapOf(c); m["name"] == "istio-proxy" {
			return m
		}
	}
	return nil
}

func (p *Proxy) String() string {
	kind := "sidecar"
	switch {
	case p.Router:
		kind = "gateway"
	case p.Waypoint:
		kind = "waypoint"
	}
	return kind + " " + namespacedName(p.Pod)
}

func (p *Proxy) generate() {
	p.once.Do(func() {
		s := p.x.server
		p.clusters = s.Clusters(p.node)
		p.listeners = s.Listeners(p.node)
		p.routes = s.RoutesFromListeners(p.node, p.listeners)
	})
}

// Clusters, Listeners and Routes are the proxy's CDS, LDS and RDS
// resources, as istiod pushes them.
func (p *Proxy) Clusters() []*clusterv3.Cluster { p.generate(); return p.clusters }

func (p *Proxy) Listeners() []*listenerv3.Listener { p.generate(); return p.listeners }

func (p *Proxy) Routes() []*routev3.RouteConfiguration { p.generate(); return p.routes }

// Cluster returns the named cluster, nil when the proxy has none.
func (p *Proxy) Cluster(name string) *clusterv3.Cluster {
	for _, c := range p.Clusters() {
		if c.GetName() == name {
			return c
		}
	}
	return nil
}

// Endpoint is one address a cluster sends to; Pod is the cluster's Pod of
// that IP (nil for an address outside the cluster, a DNS name).
type Endpoint struct {
	Cluster string
	Address string
	Port    uint32
	Pod     *unstructured.Unstructured
}

func (e Endpoint) String() string {
	if e.Pod != nil {
		return fmt.Sprintf("%s:%d (Pod %s)", e.Address, e.Port, namespacedName(e.Pod))
	}
	return fmt.Sprintf("%s:%d", e.Address, e.Port)
}

// Endpoints returns where a cluster of the proxy sends: EDS clusters'
// load assignment as istiod builds it for this proxy, the inline one of
// the others (DNS, static).
func (p *Proxy) Endpoints(name string) []Endpoint {
	c := p.Cluster(name)
	if c == nil {
		return nil
	}
	cla := c.GetLoadAssignment()
	if c.GetType() == clusterv3.Cluster_EDS {
		b := endpoints.NewEndpointBuilder(name, p.node, p.x.server.PushContext())
		cla = b.BuildClusterLoadAssignment(p.x.server.Discovery.Env.EndpointIndex)
	}
	var out []Endpoint
	for _, lle := range cla.GetEndpoints() {
		for _, lb := range lle.GetLbEndpoints() {
			sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
			if sa == nil {
				continue
			}
			out = append(out, Endpoint{Cluster: name, Address: sa.GetAddress(), Port: sa.GetPortValue(), Pod: p.x.podByIP[sa.GetAddress()]})
		}
	}
	return out
}

// ConfigSize is the size of a proxy's configuration: resource counts and
// the bytes of their protobuf encoding.
type ConfigSize struct {
	Clusters, Listeners, Routes, VirtualHosts, Endpoints   int
	ClusterBytes, ListenerBytes, RouteBytes, EndpointBytes int
}

// Total is the bytes of clusters, listeners, routes and endpoints.
func (s ConfigSize) Total() int {
	return s.ClusterBytes + s.ListenerBytes + s.RouteBytes + s.EndpointBytes
}

func (s ConfigSize) String() string {
	return fmt.Sprintf("%d clusters (%d B), %d listeners (%d B), %d route configurations with %d virtual hosts (%d B), %d endpoints (%d B): %d B",
		s.Clusters, s.ClusterBytes, s.Listeners, s.ListenerBytes, s.Routes, s.VirtualHosts, s.RouteBytes, s.Endpoints, s.EndpointBytes, s.Total())
}

// Size measures the proxy's configuration, the EDS load assignments of its
// clusters included.
func (p *Proxy) Size() ConfigSize {
	var s ConfigSize
	for _, c := range p.Clusters() {
		s.Clusters++
		s.ClusterBytes += proto.Size(c)
		if c.GetType() == clusterv3.Cluster_EDS {
			b := endpoints.NewEndpointBuilder(c.GetName(), p.node, p.x.server.PushContext())
			cla := b.BuildClusterLoadAssignment(p.x.server.Discovery.Env.EndpointIndex)
			s.EndpointBytes += proto.Size(cla)
			for _, l := range cla.GetEndpoints() {
				s.Endpoints += len(l.GetLbEndpoints())
			}
		}
	}
	for _, l := range p.Listeners() {
		s.Listeners++
		s.ListenerBytes += proto.Size(l)
	}
	for _, r := range p.Routes() {
		s.Routes++
		s.VirtualHosts += len(r.GetVirtualHosts())
		s.RouteBytes += proto.Size(r)
	}
	return s
}

// Visibility is how much of an outbound host a proxy's configuration holds.
type Visibility struct {
	Clusters     []string // outbound|<port>|<subset>|<host> clusters
	VirtualHosts []string // <route configuration>/<virtual host> naming the host
}

// Hidden: the proxy's configuration does not know the host at all.
func (v Visibility) Hidden() bool { return len(v.Clusters) == 0 && len(v.VirtualHosts) == 0 }

func (v Visibility) String() string {
	if v.Hidden() {
		return "hidden"
	}
	return fmt.Sprintf("clusters %v, virtual hosts %v", v.Clusters, v.VirtualHosts)
}

// Visibility returns the proxy's outbound clusters for host:port (any
// subset; port 0 for any port) and the virtual hosts, in any route
// configuration, whose domains name the host.
func (p *Proxy) Visibility(host string, port uint32) Visibility {
	var v Visibility
	for _, c := range p.Clusters() {
		parts := strings.Split(c.GetName(), "|")
		if len(parts) == 4 && parts[0] == "outbound" && parts[3] == host && (port == 0 || parts[1] == fmt.Sprint(port)) {
			v.Clusters = append(v.Clusters, c.GetName())
		}
	}
	for _, r := range p.Routes() {
		for _, vh := range r.GetVirtualHosts() {
			for _, d := range vh.GetDomains() {
				if d == host || strings.HasPrefix(d, host+":") {
					v.VirtualHosts = append(v.VirtualHosts, r.GetName()+"/"+vh.GetName())
					break
				}
			}
		}
	}
	return v
}

// Request is a request (or, with TCP, a connection) as a proxy sees it:
// outbound, where the application sends it; inbound, where it arrives at
// the workload's proxy.
type Request struct {
	Host    string // HTTP authority; for outbound requests, the destination host
	Port    uint32 // destination port: the service port outbound, the workload's port inbound
	Path    string // "/" when empty
	Method  string // GET when empty
	Headers map[string]string
	// SNI is the TLS server name the client sends ("" without TLS).
	SNI string
	// Principal is the client's mesh identity (its mTLS certificate's URI
	// SAN, spiffe://...): "" for a client outside the mesh.
	Principal string
	// Claims is the payload of a valid JWT the request carries (iss, sub
	// and the other claims); nil without a token.
	Claims map[string][]string
	// DestinationIP is the address the client connects to (a Service's
	// cluster IP outbound, the Pod's IP inbound; looked up when empty).
	DestinationIP string
	SourceIP      string
	TCP           bool // a TCP connection, not an HTTP request
}

func (r Request) path() string { return orDefault(r.Path, "/") }

func (r Request) method() string { return orDefault(r.Method, "GET") }

// headers returns the request's headers with Envoy's pseudo-headers.
func (r Request) headers() map[string]string {
	h := map[string]string{":authority": r.Host, ":path": r.path(), ":method": r.method(), "host": r.Host}
	for k, v := range r.Headers {
		h[strings.ToLower(k)] = v
	}
	return h
}

// connection is what Envoy's listener filters learn of a connection and
// match filter chains on.
type connection struct {
	destinationIP string
	port          uint32
	sni           string
	transport     string   // tls or raw_buffer
	alpn          []string // offered, or detected for plaintext HTTP
}

func (r Request) connection() connection {
	c := connection{destinationIP: r.DestinationIP, port: r.Port, sni: r.SNI, transport: "raw_buffer"}
	switch {
	case r.Principal != "":
		// Istio mutual TLS: the client sidecar or gateway offers Istio's ALPN.
		c.transport = "tls"
		if r.TCP {
			c.alpn = []string{"istio-peer-exchange", "istio"}
		} else {
			c.alpn = []string{"istio-http/1.1", "istio"}
		}
	case r.SNI != "":
		c.transport = "tls"
		if !r.TCP {
			c.alpn = []string{"h2", "http/1.1"}
		}
	case !r.TCP:
		c.alpn = []string{"http/1.1"} // what the http_inspector detects
	}
	return c
}

// Route is where a proxy sends a request: the listener and filter chain
// that take it, and for HTTP the route configuration, virtual host and route
// that match; Clusters are the route's (or TCP proxy's) destinations.
type Route struct {
	Listener, Chain, RouteConfig, VirtualHost, Route string
	Clusters                                         []string
	// Missing are destinations the proxy has no cluster for.
	Missing []string
}

func (r Route) String() string {
	s := "listener " + r.Listener
	if r.Chain != "" {
		s += " chain " + r.Chain
	}
	if r.RouteConfig != "" {
		s += fmt.Sprintf(" route configuration %s virtual host %s route %q", r.RouteConfig, r.VirtualHost, r.Route)
	}
	return s + fmt.Sprintf(" -> %v", r.Clusters)
}

// Open: the request reaches clusters of the proxy other than Istio's
// catch-alls (BlackHoleCluster, PassthroughCluster and InboundPassthrough).
func (r Route) Open() bool {
	if len(r.Clusters) == 0 || len(r.Missing) > 0 {
		return false
	}
	for _, c := range r.Clusters {
		if c == "BlackHoleCluster" || c == "PassthroughCluster" || strings.HasPrefix(c, "InboundPassthrough") {
			return false
		}
	}
	return true
}

// Route returns where the proxy sends the request: a sidecar's outbound
// request to req.Host:req.Port (the listener of the Service's cluster IP,
// else 0.0.0.0, else virtualOutbound, as the original destination hands
// it over); at a gateway, a request arriving on port req.Port (a port of
// the gateway's Service, or a target port).
func (p *Proxy) Route(req Request) (Route, error) {
	if p.Waypoint {
		l, fc, err := p.waypointChain(req.Host, req.Port)
		if err != nil {
			return Route{}, err
		}
		return p.routeThrough(l, fc, req)
	}
	if !p.Router {
		req.Principal = "" // the application's request, before its sidecar
		if req.DestinationIP == "" {
			req.DestinationIP = p.x.serviceIP(req.Host)
		}
	}
	port := req.Port
	if p.Router {
		port = p.x.targetPort(p.Pod, req.Port)
		req.Port = port
	}
	l := p.listener(req.DestinationIP, port)
	if l == nil && !p.Router {
		l = p.listenerNamed("virtualOutbound")
	}
	if l == nil {
		return Route{}, fmt.Errorf("%s: no listener for %s:%d", p, orDefault(req.DestinationIP, "0.0.0.0"), port)
	}
	return p.routeThrough(l, selectChain(l, req.connection()), req)
}

// waypointChain is the chain of a waypoint's internal listener that takes
// the traffic to a service's port, as istiod names it; nil when the
// waypoint does not serve it.
func (p *Proxy) waypointChain(service string, port uint32) (*listenerv3.Listener, *listenerv3.FilterChain, error) {
	l := p.listenerNamed("main_internal")
	if l == nil {
		return nil, nil, fmt.Errorf("%s: no main_internal listener", p)
	}
	chain := model.BuildSubsetKey(model.TrafficDirectionInboundVIP, "http", host.Name(service), int(port))
	for _, fc := range l.GetFilterChains() {
		if fc.GetName() == chain {
			return l, fc, nil
		}
	}
	return l, nil, nil
}

// routeThrough follows a request through a listener's filter chain (nil:
// none takes it) to its route and clusters.
func (p *Proxy) routeThrough(l *listenerv3.Listener, fc *listenerv3.FilterChain, req Request) (Route, error) {
	out := Route{Listener: l.GetName()}
	if fc == nil {
		return out, nil // Envoy closes the connection
	}
	out.Chain = fc.GetName()
	for _, f := range fc.GetFilters() {
		switch f.GetName() {
		case wellknown.HTTPConnectionManager:
			h := &hcmv3.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(h); err != nil {
				return out, fmt.Errorf("%s: listener %s: %w", p, l.GetName(), err)
			}
			rc := h.GetRouteConfig()
			if name := h.GetRds().GetRouteConfigName(); name != "" {
				rc = p.routeConfig(name)
				if rc == nil {
					return out, fmt.Errorf("%s: listener %s refers to route configuration %s, which is not generated", p, l.GetName(), name)
				}
			}
			out.RouteConfig = rc.GetName()
			vh := selectVirtualHost(rc, req.Host, req.Port)
			if vh == nil {
				return p.checked(out), nil // 404
			}
			out.VirtualHost = vh.GetName()
			r := selectRoute(vh, req)
			if r == nil {
				return p.checked(out), nil
			}
			out.Route = r.GetName()
			switch a := r.GetRoute(); {
			case a.GetCluster() != "":
				out.Clusters = []string{a.GetCluster()}
			case a.GetWeightedClusters() != nil:
				for _, wc := range a.GetWeightedClusters().GetClusters() {
					out.Clusters = append(out.Clusters, wc.GetName())
				}
			}
			return p.checked(out), nil
		case wellknown.TCPProxy:
			t := &tcpproxyv3.TcpProxy{}
			if err := f.GetTypedConfig().UnmarshalTo(t); err != nil {
				return out, fmt.Errorf("%s: listener %s: %w", p, l.GetName(), err)
			}
			if c := t.GetCluster(); c != "" {
				out.Clusters = []string{c}
			}
			for _, wc := range t.GetWeightedClusters().GetClusters() {
				out.Clusters = append(out.Clusters, wc.GetName())
			}
			return p.checked(out), nil
		}
	}
	return out, nil
}

// checked lists the route's destinations the proxy has no cluster for.
func (p *Proxy) checked(r Route) Route {
	for _, c := range r.Clusters {
		if p.Cluster(c) == nil {
			r.Missing = append(r.Missing, c)
		}
	}
	return r
}

// UpstreamTLS is how a cluster opens TLS to its endpoints ("" SNI and no
// secrets without TLS).
type UpstreamTLS struct {
	TLS     bool
	SNI     string
	Secrets []string // SDS secrets of the client certificate ("default" is the workload's own)
	ALPN    []string
}

// UpstreamTLS reads a cluster's (default) transport socket, the first
// transport socket match's when it uses Istio's automatic mTLS matches.
func (p *Proxy) UpstreamTLS(cluster string) (UpstreamTLS, error) {
	c := p.Cluster(cluster)
	if c == nil {
		return UpstreamTLS{}, fmt.Errorf("%s has no cluster %s", p, cluster)
	}
	ts := c.GetTransportSocket()
	if ts == nil {
		for _, m := range c.GetTransportSocketMatches() {
			if m.GetTransportSocket().GetName() == wellknown.TransportSocketTLS {
				ts = m.GetTransportSocket()
				break
			}
		}
	}
	if ts == nil || ts.GetName() != wellknown.TransportSocketTLS {
		return UpstreamTLS{}, nil
	}
	u := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(u); err != nil {
		return UpstreamTLS{}, fmt.Errorf("%s cluster %s: %w", p, cluster, err)
	}
	out := UpstreamTLS{TLS: true, SNI: u.GetSni(), ALPN: u.GetCommonTlsContext().GetAlpnProtocols()}
	for _, s := range u.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
		out.Secrets = append(out.Secrets, s.GetName())
	}
	return out, nil
}

// ServerCertificates returns the SDS names of the certificates a gateway
// presents to a client connecting for req (its port and SNI).
func (p *Proxy) ServerCertificates(req Request) ([]string, error) {
	port := p.x.targetPort(p.Pod, req.Port)
	l := p.listener("", port)
	if l == nil {
		return nil, fmt.Errorf("%s: no listener for port %d", p, port)
	}
	fc := selectChain(l, req.connection())
	if fc == nil {
		return nil, fmt.Errorf("%s: no filter chain of %s takes SNI %q", p, l.GetName(), req.SNI)
	}
	ts := fc.GetTransportSocket()
	if ts == nil || ts.GetName() != wellknown.TransportSocketTLS {
		return nil, nil
	}
	d := &tlsv3.DownstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(d); err != nil {
		return nil, fmt.Errorf("%s filter chain %s: %w", p, fc.GetName(), err)
	}
	var names []string
	for _, s := range d.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
		names = append(names, s.GetName())
	}
	return names, nil
}

func (p *Proxy) routeConfig(name string) *routev3.RouteConfiguration {
	for _, r := range p.Routes() {
		if r.GetName() == name {
			return r
		}
	}
	return nil
}

func (p *Proxy) listenerNamed(name string) *listenerv3.Listener {
	for _, l := range p.Listeners() {
		if l.GetName() == name {
			return l
		}
	}
	return nil
}

// listener returns the listener bound to ip:port, else to 0.0.0.0:port.
func (p *Proxy) listener(ip string, port uint32) *listenerv3.Listener {
	var wildcard *listenerv3.Listener
	for _, l := range p.Listeners() {
		sa := l.GetAddress().GetSocketAddress()
		if sa.GetPortValue() != port {
			continue
		}
		switch sa.GetAddress() {
		case ip:
			if ip != "" {
				return l
			}
		case "0.0.0.0", "::":
			if wildcard == nil {
				wildcard = l
			}
		}
	}
	return wildcard
}

// serviceIP is the cluster IP of the Service a host name (name.namespace
// .svc.cluster.local) is, "" for any other host.
func (x *XDS) serviceIP(host string) string {
	name, rest, ok := strings.Cut(host, ".")
	if !ok {
		return ""
	}
	ns, _, _ := strings.Cut(rest, ".")
	if !strings.HasSuffix(host, ".svc.cluster.local") {
		return ""
	}
	for _, s := range x.services {
		if s.GetName() == name && s.GetNamespace() == ns {
			ip, _, _ := unstructured.NestedString(s.Object, "spec", "clusterIP")
			return ip
		}
	}
	return ""
}

// targetPort maps a port of a Service selecting the Pod to the Pod's port
// (the port itself when no Service has it).
func (x *XDS) targetPort(pod *unstructured.Unstructured, port uint32) uint32 {
	for _, s := range x.services {
		if s.GetNamespace() != pod.GetNamespace() || len(selectorOf(s)) == 0 ||
			!labels.SelectorFromSet(selectorOf(s)).Matches(labels.Set(pod.GetLabels())) {
			continue
		}
		ports, _, _ := unstructured.NestedSlice(s.Object, "spec", "ports")
		for _, sp := range ports {
			m := mapOf(sp)
			if uint32(toInt(m["port"])) == port {
				if t := containerPort(pod, m["targetPort"]); t > 0 {
					return uint32(t)
				}
				return port
			}
		}
	}
	return port
}

// selectChain picks the filter chain Envoy would for a connection: among
// the chains whose match admits it, the most specific on destination port,
// then destination IP, server name, transport protocol and application
// protocols; the default chain when none does.
func selectChain(l *listenerv3.Listener, c connection) *listenerv3.FilterChain {
	chains := l.GetFilterChains()
	// destination port
	chains = narrow(chains, func(m *listenerv3.FilterChainMatch) (bool, int) {
		if m.GetDestinationPort() == nil {
			return true, 0
		}
		return m.GetDestinationPort().GetValue() == c.port, 1
	})
	// destination IP: longest prefix
	chains = narrow(chains, func(m *listenerv3.FilterChainMatch) (bool, int) {
		if len(m.GetPrefixRanges()) == 0 {
			return true, 0
		}
		return cidrMatch(m.GetPrefixRanges(), c.destinationIP)
	})
	// server names: exact beats wildcard beats none
	chains = narrow(chains, func(m *listenerv3.FilterChainMatch) (bool, int) {
		if len(m.GetServerNames()) == 0 {
			return true, 0
		}
		best := 0
		for _, n := range m.GetServerNames() {
			switch {
			case n == c.sni && c.sni != "":
				best = max(best, 1000)
			case strings.HasPrefix(n, "*.") && strings.HasSuffix(c.sni, n[1:]):
				best = max(best, len(n))
			}
		}
		return best > 0, best
	})
	chains = narrow(chains, func(m *listenerv3.FilterChainMatch) (bool, int) {
		if m.GetTransportProtocol() == "" {
			return true, 0
		}
		return m.GetTransportProtocol() == c.transport, 1
	})
	chains = narrow(chains, func(m *listenerv3.FilterChainMatch) (bool, int) {
		if len(m.GetApplicationProtocols()) == 0 {
			return true, 0
		}
		for _, a := range m.GetApplicationProtocols() {
			if contains(c.alpn, a) {
				return true, 1
			}
		}
		return false, 0
	})
	if len(chains) > 0 {
		return chains[0]
	}
	return l.GetDefaultFilterChain()
}

// narrow keeps the chains a criterion admits with the highest specificity.
func narrow(chains []*listenerv3.FilterChain, match func(*listenerv3.FilterChainMatch) (bool, int)) []*listenerv3.FilterChain {
	best := -1
	var out []*listenerv3.FilterChain
	for _, fc := range chains {
		ok, score := match(fc.GetFilterChainMatch())
		if !ok {
			continue
		}
		switch {
		case score > best:
			best, out = score, []*listenerv3.FilterChain{fc}
		case score == best:
			out = append(out, fc)
		}
	}
	return out
}

// cidrMatch: whether ip is in one of the ranges, with the longest prefix
// length matched as specificity.
func cidrMatch(ranges []*corev3.CidrRange, ip string) (bool, int) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, 0
	}
	best := -1
	for _, r := range ranges {
		prefix, err := netip.ParseAddr(r.GetAddressPrefix())
		if err != nil {
			continue
		}
		bits := int(r.GetPrefixLen().GetValue())
		if r.GetPrefixLen() == nil {
			bits = prefix.BitLen()
		}
		pfx, err := prefix.Prefix(bits)
		if err == nil && pfx.Contains(addr) && bits > best {
			best = bits
		}
	}
	return best >= 0, best + 1
}

// selectVirtualHost matches the authority as Envoy does: an exact domain,
// then the longest suffix wildcard (*.example.com), then the longest prefix
// wildcard (example.*), then *. The host is tried as given and with the
// port.
func selectVirtualHost(rc *routev3.RouteConfiguration, host string, port uint32) *routev3.VirtualHost {
	candidates := []string{host, fmt.Sprintf("%s:%d", host, port)}
	for _, h := range candidates {
		for _, vh := range rc.GetVirtualHosts() {
			for _, d := range vh.GetDomains() {
				if d == h {
					return vh
				}
			}
		}
	}
	var best *routev3.VirtualHost
	bestLen := -1
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			if strings.HasPrefix(d, "*") && d != "*" && strings.HasSuffix(host, d[1:]) && len(d) > bestLen {
				best, bestLen = vh, len(d)
			}
		}
	}
	if best != nil {
		return best
	}
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			if strings.HasSuffix(d, "*") && d != "*" && strings.HasPrefix(host, d[:len(d)-1]) && len(d) > bestLen {
				best, bestLen = vh, len(d)
			}
		}
	}
	if best != nil {
		return best
	}
	for _, vh := range rc.GetVirtualHosts() {
		if contains(vh.GetDomains(), "*") {
			return vh
		}
	}
	return nil
}

// selectRoute returns the first route of the virtual host whose path and
// header matches admit the request.
func selectRoute(vh *routev3.VirtualHost, req Request) *routev3.Route {
	path, _, _ := strings.Cut(req.path(), "?")
	headers := req.headers()
	for _, r := range vh.GetRoutes() {
		m := r.GetMatch()
		fold := func(s string) string { return s }
		if m.GetCaseSensitive() != nil && !m.GetCaseSensitive().GetValue() {
			fold = strings.ToLower
		}
		ok := false
		switch ps := m.GetPathSpecifier().(type) {
		case *routev3.RouteMatch_Prefix:
			ok = strings.HasPrefix(fold(path), fold(ps.Prefix))
		case *routev3.RouteMatch_Path:
			ok = fold(path) == fold(ps.Path)
		case *routev3.RouteMatch_SafeRegex:
			re, err := regexp.Compile("^(?:" + ps.SafeRegex.GetRegex() + ")$")
			ok = err == nil && re.MatchString(path)
		case *routev3.RouteMatch_PathSeparatedPrefix:
			ok = fold(path) == fold(ps.PathSeparatedPrefix) || strings.HasPrefix(fold(path), fold(strings.TrimSuffix(ps.PathSeparatedPrefix, "/"))+"/")
		}
		for _, h := range m.GetHeaders() {
			if matched, err := headerMatches(h, headers); err != nil || !matched {
				ok = false
			}
		}
		if ok {
			return r
		}
	}
	return nil
}

// inboundChain returns the filter chain that takes a request arriving at
// the proxy: a sidecar's virtualInbound chain for the destination port, a
// gateway's chain of its listener on the port.
func (p *Proxy) inboundChain(req Request) (*listenerv3.Listener, *listenerv3.FilterChain, Request, error) {
	if req.DestinationIP == "" {
		req.DestinationIP = podIP(p.Pod)
	}
	var l *listenerv3.Listener
	if p.Router {
		req.Port = p.x.targetPort(p.Pod, req.Port) // a port of the gateway's Service arrives on its target port
		l = p.listener(req.DestinationIP, req.Port)
	} else {
		l = p.listenerNamed("virtualInbound")
	}
	if l == nil {
		return nil, nil, req, fmt.Errorf("%s: no inbound listener for port %d", p, req.Port)
	}
	return l, selectChain(l, req.connection()), req, nil
}

// endpointsOf is the Endpoints of every cluster of a route.
func (p *Proxy) endpointsOf(r Route) []Endpoint {
	var out []Endpoint
	for _, c := range r.Clusters {
		out = append(out, p.Endpoints(c)...)
	}
	return out
}

// Hop is one proxy's part of a path: where it routes the request, the
// endpoints of the route's clusters and, for each endpoint that is a Pod
// with a proxy, whether that proxy's inbound authorization admits the
// request from this proxy's identity.
type Hop struct {
	From      *Proxy
	Route     Route
	Endpoints []Endpoint
	Decisions map[string]Decision // by endpoint (String())
}

// Hop follows a request from a proxy to the workloads it reaches: req is
// the request as the application (or, at a gateway, the client) sends it;
// at each endpoint the request arrives with the proxy's identity, the
// endpoint's port and the SNI the cluster sets, and the endpoint's proxy
// decides.
func (x *XDS) Hop(from *Proxy, req Request) (Hop, error) {
	r, err := from.Route(req)
	if err != nil {
		return Hop{}, err
	}
	h := Hop{From: from, Route: r, Endpoints: from.endpointsOf(r), Decisions: map[string]Decision{}}
	for _, ep := range h.Endpoints {
		if ep.Pod == nil || istioProxy(ep.Pod) == nil {
			continue
		}
		to, err := x.ProxyOf(ep.Pod)
		if err != nil {
			return h, err
		}
		tls, err := from.UpstreamTLS(ep.Cluster)
		if err != nil {
			return h, err
		}
		in := req
		in.Principal = ""
		if tls.TLS && contains(tls.Secrets, "default") {
			in.Principal = from.Identity // Istio mutual TLS with the workload's certificate
		}
		in.Port = ep.Port
		in.DestinationIP = ep.Address
		in.SNI = tls.SNI
		d, err := to.Authorize(in)
		if err != nil {
			return h, err
		}
		h.Decisions[ep.String()] = d
	}
	return h, nil
}

// orDefault returns the first non-empty string.
func orDefault(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// selectorOf is a Service's selector.
func selectorOf(svc *unstructured.Unstructured) map[string]string {
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	return sel
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
