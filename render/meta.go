package render

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Labels and annotations meshwright reads and writes.
const (
	// LabelManagedBy and AnnotationSource mark every rendered object: the
	// KRM function replaces exactly the objects that carry both.
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	ManagedBy        = "meshwright"
	AnnotationSource = "meshwright.dev/source"
	// AnnotationLocalConfig marks objects kpt and kustomize must not apply.
	AnnotationLocalConfig = "config.kubernetes.io/local-config"
	// LabelTenant names the tenant that owns a namespace.
	LabelTenant = "meshwright.dev/tenant"
	// LabelRevision selects the control-plane revision (or tag) that injects
	// the namespace's sidecars. istio-injection is never set with it: it
	// would win.
	LabelRevision = "istio.io/rev"
	// LabelPodSecurityEnforce is the Pod Security Admission label
	// (Kubernetes >= 1.25).
	LabelPodSecurityEnforce = "pod-security.kubernetes.io/enforce"
	// LabelNamespaceName is set by Kubernetes on every namespace to its name.
	LabelNamespaceName = "kubernetes.io/metadata.name"
	// AnnotationDryRun makes Istio log what an AuthorizationPolicy would deny
	// without denying it.
	AnnotationDryRun = "istio.io/dry-run"
	// LabelApp is the pod label the reference architecture selects a
	// service's workloads by.
	LabelApp = "app"
)

// The apiVersion and kind of every rendered object: today's API versions, as
// internal/conformance's API lifecycle rule checks them (the newest version
// each pinned CRD serves; no built-in version deprecated at the Mesh's
// kubernetesVersion but the PodSecurityPolicy, accepted below 1.25).
var (
	typeNamespace             = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
	typePodSecurityPolicy     = metav1.TypeMeta{APIVersion: "policy/v1beta1", Kind: "PodSecurityPolicy"}
	typeServiceAccount        = metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}
	typeClusterRole           = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}
	typeRole                  = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}
	typeRoleBinding           = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}
	typeIstioOperator         = metav1.TypeMeta{APIVersion: "install.istio.io/v1alpha1", Kind: "IstioOperator"}
	typeHelmRepository        = metav1.TypeMeta{APIVersion: "source.toolkit.fluxcd.io/v1", Kind: "HelmRepository"}
	typeOCIRepository         = metav1.TypeMeta{APIVersion: "source.toolkit.fluxcd.io/v1", Kind: "OCIRepository"}
	typeHelmRelease           = metav1.TypeMeta{APIVersion: "helm.toolkit.fluxcd.io/v2", Kind: "HelmRelease"}
	typeApplication           = metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Application"}
	typePeerAuthentication    = metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "PeerAuthentication"}
	typeRequestAuthentication = metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "RequestAuthentication"}
	typeAuthorizationPolicy   = metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "AuthorizationPolicy"}
	typeIssuer                = metav1.TypeMeta{APIVersion: "cert-manager.io/v1", Kind: "Issuer"}
	typeBundle                = metav1.TypeMeta{APIVersion: "trust.cert-manager.io/v1alpha1", Kind: "Bundle"}
	typeCertificate           = metav1.TypeMeta{APIVersion: "cert-manager.io/v1", Kind: "Certificate"}
	typeGateway               = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "Gateway"}
	typeVirtualService        = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}
	typeDestinationRule       = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"}
	typeServiceEntry          = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "ServiceEntry"}
	typeSidecar               = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "Sidecar"}
	typeNetworkPolicy         = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}
	typeConfigMap             = metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
	typeKubernetesGateway     = metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway"}
	typeListenerSet           = metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "ListenerSet"}
	typeHTTPRoute             = metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"}
)

// kindOrder is the order objects are emitted in: what others depend on comes
// first (namespaces, RBAC, the issuer before its certificates).
var kindOrder = []metav1.TypeMeta{
	typeNamespace,
	typePodSecurityPolicy,
	typeServiceAccount,
	typeConfigMap,
	typeClusterRole,
	typeRole,
	typeRoleBinding,
	typeIstioOperator,
	typeHelmRepository,
	typeOCIRepository,
	typeHelmRelease,
	typeApplication,
	typePeerAuthentication,
	typeRequestAuthentication,
	typeAuthorizationPolicy,
	typeIssuer,
	typeBundle,
	typeCertificate,
	typeGateway,
	typeKubernetesGateway,
	typeListenerSet,
	typeVirtualService,
	typeHTTPRoute,
	typeDestinationRule,
	typeServiceEntry,
	typeSidecar,
	typeNetworkPolicy,
}

// kindRank ranks by group and kind: Istio and the Gateway API both have a
// Gateway.
var kindRank = func() map[schema.GroupKind]int {
	m := make(map[schema.GroupKind]int, len(kindOrder))
	for i, t := range kindOrder {
		m[t.GroupVersionKind().GroupKind()] = i
	}
	return m
}()

// objectMeta is the metadata of a namespaced object (namespace "" for
// cluster-scoped ones).
func objectMeta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace}
}
