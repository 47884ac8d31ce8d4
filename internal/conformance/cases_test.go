package conformance

import "strings"

// Well-formed objects of every kind meshwright renders, in the shape it
// renders them. Each broken case below is one of these with one edit.
const (
	gatewayYAML = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: productpage-gateway, namespace: bookinfo}
spec:
  selector: {istio: ingressgateway}
  servers:
    - hosts: [productpage.bookinfo.example.com]
      port: {name: https, number: 443, protocol: HTTPS}
      tls: {mode: MUTUAL, credentialName: bookinfo-productpage-cert}
`
	virtualServiceYAML = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: productpage, namespace: bookinfo}
spec:
  gateways: [productpage-gateway]
  hosts: [productpage.bookinfo.example.com]
  http:
    - match: [{uri: {prefix: /}}]
      route: [{destination: {host: productpage, port: {number: 9080}}}]
`
	destinationRuleYAML = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: productpage, namespace: bookinfo}
spec:
  host: productpage
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  subsets: [{name: v1, labels: {version: v1}}]
`
	peerAuthenticationYAML = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`
	authorizationPolicyYAML = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: istio-ingressgateway-require-jwt, namespace: istio-system}
spec:
  action: DENY
  selector: {matchLabels: {istio: ingressgateway}}
  rules: [{from: [{source: {notRequestPrincipals: ["*"]}}], to: [{operation: {ports: ["8443"]}}]}]
`
	requestAuthenticationYAML = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: reqauth-istio-system, namespace: istio-system}
spec:
  jwtRules:
    - issuer: https://keycloak.example.com/auth/realms/istio
      jwksUri: https://keycloak.example.com/certs
`
	serviceEntryYAML = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: nginx, namespace: sleep}
spec:
  hosts: [my-nginx.external.example.com]
  location: MESH_EXTERNAL
  ports: [{name: tls, number: 443, protocol: TLS}]
  resolution: DNS
`
	certificateYAML = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: bookinfo-productpage-cert, namespace: istio-system}
spec:
  secretName: bookinfo-productpage-cert
  dnsNames: [productpage.bookinfo.example.com]
  duration: 2160h
  issuerRef: {name: vault-issuer, kind: Issuer, group: cert-manager.io}
`
	issuerYAML = `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: vault-issuer, namespace: istio-system}
spec:
  vault:
    server: http://vault.vault
    path: pki/sign/example-dot-com
    auth: {kubernetes: {role: issuer, mountPath: /v1/auth/kubernetes, serviceAccountRef: {name: issuer}}}
`
	bundleYAML = `apiVersion: trust.cert-manager.io/v1alpha1
kind: Bundle
metadata: {name: bookinfo-productpage-cert-cacert}
spec:
  sources: [{secret: {name: enterprise-root-ca, key: ca.crt}}]
  target:
    secret: {key: cacert}
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}
`
	// clusterBundleYAML is the bundleYAML as trust-manager's own conversion
	// (Bundle.ConvertTo) turns it into its successor, which the pinned
	// trust-manager defines but neither installs nor reconciles (see
	// TestTrustManagerCRDsAreTheOnesItsChartInstalls).
	clusterBundleYAML = `apiVersion: trust-manager.io/v1alpha2
kind: ClusterBundle
metadata: {name: bookinfo-productpage-cert-cacert}
spec:
  sourceRefs: [{kind: Secret, name: enterprise-root-ca, key: ca.crt}]
  target:
    secret: {data: [{key: cacert}]}
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}
`
	namespaceYAML = `apiVersion: v1
kind: Namespace
metadata:
  name: bookinfo
  labels: {istio.io/rev: 1-30-2, meshwright.dev/tenant: bookinfo}
  annotations: {meshwright.dev/source: Tenant/bookinfo}
`
	networkPolicyYAML = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-same-namespace, namespace: bookinfo}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}]}]
  policyTypes: [Ingress]
`
	serviceAccountYAML = `apiVersion: v1
kind: ServiceAccount
metadata: {name: issuer, namespace: istio-system, annotations: {meshwright.dev/source: Mesh/platform}}
`
	clusterRoleYAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "meshwright:tenant-edge"}
rules: [{apiGroups: [cert-manager.io], resources: [certificates], verbs: [get, create]}]
`
	roleBindingYAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "meshwright:tenant-edge:bookinfo", namespace: istio-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "meshwright:tenant-edge"}
subjects:
  - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: bookinfo-devs}
  - {kind: ServiceAccount, namespace: ci, name: deployer}
`
	istioOperatorYAML = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: installed-state-1-30-2, namespace: istio-system}
spec:
  hub: harbor.example.com/istio
  tag: 1.30.2
  revision: 1-30-2
  profile: default
  components:
    pilot: {enabled: true}
    ingressGateways: [{name: istio-ingressgateway, enabled: true, label: {istio: ingressgateway}}]
  meshConfig: {accessLogFile: /dev/stdout}
`
	podSecurityPolicyYAML = `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: istio-control-plane}
spec:
  privileged: true
  allowPrivilegeEscalation: false
  hostNetwork: true
  volumes: [configMap, hostPath]
  allowedHostPaths: [{pathPrefix: /etc/cni/net.d}]
  runAsUser: {rule: RunAsAny}
  seLinux: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: MustRunAs, ranges: [{min: 1, max: 65535}]}
`
)

type objectCase struct{ name, yaml string }

var wellFormedObjects = []objectCase{
	{"Gateway", gatewayYAML},
	{"VirtualService", virtualServiceYAML},
	{"DestinationRule", destinationRuleYAML},
	{"PeerAuthentication", peerAuthenticationYAML},
	{"AuthorizationPolicy", authorizationPolicyYAML},
	{"RequestAuthentication", requestAuthenticationYAML},
	{"ServiceEntry", serviceEntryYAML},
	{"Certificate", certificateYAML},
	{"Issuer", issuerYAML},
	{"Bundle", bundleYAML},
	{"Namespace", namespaceYAML},
	{"NetworkPolicy", networkPolicyYAML},
	{"ServiceAccount", serviceAccountYAML},
	{"ClusterRole", clusterRoleYAML},
	{"RoleBinding", roleBindingYAML},
	{"IstioOperator", istioOperatorYAML},
	{"PodSecurityPolicy", podSecurityPolicyYAML},
	{"HelmRelease", helmReleaseYAML},
}

const helmReleaseYAML = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod-1-30-2, namespace: istio-system}
spec:
  interval: 10m0s
  releaseName: istiod-1-30-2
  chartRef: {kind: OCIRepository, name: istiod-1-30-2}
  dependsOn: [{name: istio-base}]
  values: {revision: 1-30-2}
`

type brokenCase struct {
	name string
	yaml string
	want string // a part of the expected error
}

// broken is a well-formed object with exactly one edit; it panics when the
// edit does not apply, so a case cannot silently test the unbroken object.
func broken(name, base, from, to, want string) brokenCase {
	if strings.Count(base, from) != 1 {
		panic("broken case " + name + ": " + from + " must occur exactly once")
	}
	return brokenCase{name: name, yaml: strings.Replace(base, from, to, 1), want: want}
}

var brokenObjects = []brokenCase{
	// Flux HelmRelease: strict decoding into Flux's types, the CRD's rules.
	broken("HelmRelease unknown field", helmReleaseYAML, "releaseName: istiod", "releaseNam: istiod", `unknown field "spec.releaseNam"`),
	broken("HelmRelease without chart", helmReleaseYAML, "  chartRef: {kind: OCIRepository, name: istiod-1-30-2}\n", "", "exactly one of chart and chartRef"),
	broken("HelmRelease release name too long", helmReleaseYAML, "releaseName: istiod-1-30-2", "releaseName: istiod-the-revision-of-istio-that-the-platform-team-tests", "spec.releaseName: Too long"),
	// Istio CRDs: schema, pruning, CEL rules, metadata.
	broken("Gateway unknown field", gatewayYAML, "number: 443", "nmber: 443", "spec.servers[0].port.nmber: Invalid value: null: unknown field"),
	broken("Gateway unknown metadata field", gatewayYAML, "metadata: {name: productpage-gateway,", "metadata: {labelz: {a: b}, name: productpage-gateway,", "metadata.labelz: Invalid value: null: unknown field"),
	broken("Gateway invalid name", gatewayYAML, "name: productpage-gateway", "name: Productpage_Gateway", "RFC 1123 subdomain"),
	broken("Gateway without namespace", gatewayYAML, ", namespace: bookinfo", "", "metadata.namespace: Required value"),
	broken("VirtualService wrong type", virtualServiceYAML, "hosts: [productpage.bookinfo.example.com]", "hosts: productpage.bookinfo.example.com", "must be of type array"),
	broken("VirtualService unknown top-level field", virtualServiceYAML, "  gateways:", "  gateway: [x]\n  gateways:", "spec.gateway: Invalid value: null: unknown field"),
	broken("DestinationRule bad enum", destinationRuleYAML, "ISTIO_MUTUAL", "ISTIO_MUTUALL", "Unsupported value: \"ISTIO_MUTUALL\""),
	broken("PeerAuthentication bad enum", peerAuthenticationYAML, "STRICT", "STRICTEST", "Unsupported value: \"STRICTEST\""),
	broken("AuthorizationPolicy bad enum", authorizationPolicyYAML, "action: DENY", "action: PERMIT", "Unsupported value: \"PERMIT\""),
	broken("AuthorizationPolicy unknown field in rule", authorizationPolicyYAML, "notRequestPrincipals", "notRequestPrincipal", "unknown field"),
	broken("RequestAuthentication CEL rule", requestAuthenticationYAML, "jwksUri: https://", "jwksUri: ftp://", "url must have scheme http:// or https://"),
	broken("ServiceEntry CEL rule", serviceEntryYAML, "resolution: DNS", "resolution: DNS\n  workloadSelector: {labels: {app: x}}\n  endpoints: [{address: 1.2.3.4}]", "only one of WorkloadSelector or Endpoints can be set"),
	broken("ServiceEntry port out of range", serviceEntryYAML, "number: 443", "number: 70000", "port must be between 1-65535"),
	// cert-manager and trust-manager CRDs.
	broken("Certificate unknown field", certificateYAML, "dnsNames:", "dnsName:", "spec.dnsName: Invalid value: null: unknown field"),
	broken("Certificate wrong type", certificateYAML, "duration: 2160h", "duration: 2160", "must be of type string"),
	broken("Issuer missing required field", issuerYAML, "    server: http://vault.vault\n", "", "spec.vault.server: Required value"),
	broken("Bundle namespaced", bundleYAML, "name: bookinfo-productpage-cert-cacert}", "name: bookinfo-productpage-cert-cacert, namespace: istio-system}", "metadata.namespace: Forbidden"),
	broken("Bundle unknown field", bundleYAML, "secret: {key: cacert}", "secrett: {key: cacert}", "spec.target.secrett: Invalid value: null: unknown field"),
	// Built-in kinds.
	broken("Namespace invalid name", namespaceYAML, "name: bookinfo", "name: Bookinfo", "RFC 1123 label"),
	broken("Namespace invalid label value", namespaceYAML, "meshwright.dev/tenant: bookinfo", "meshwright.dev/tenant: book info", "metadata.labels: Invalid value: \"book info\""),
	broken("Namespace with a namespace", namespaceYAML, "  name: bookinfo\n", "  name: bookinfo\n  namespace: default\n", "metadata.namespace: Forbidden"),
	broken("NetworkPolicy unknown field", networkPolicyYAML, "  podSelector: {}\n  ingress", "  podSelectr: {}\n  podSelector: {}\n  ingress", "unknown field \"spec.podSelectr\""),
	broken("NetworkPolicy wrong type", networkPolicyYAML, "  podSelector: {}\n  ingress", "  podSelector: app\n  ingress", "cannot unmarshal"),
	broken("NetworkPolicy bad enum", networkPolicyYAML, "policyTypes: [Ingress]", "policyTypes: [Inbound]", "Unsupported value: \"Inbound\""),
	broken("NetworkPolicy empty peer", networkPolicyYAML, "from: [{podSelector: {}}]", "from: [{}]", "must specify a peer"),
	broken("ServiceAccount invalid annotation key", serviceAccountYAML, "meshwright.dev/source", "meshwright.dev/source/x", "metadata.annotations: Invalid value"),
	broken("ClusterRole without verbs", clusterRoleYAML, ", verbs: [get, create]", "", "verbs must contain at least one value"),
	broken("RoleBinding bad roleRef kind", roleBindingYAML, "kind: ClusterRole, name", "kind: Group, name", "roleRef.kind: Unsupported value: \"Group\""),
	broken("RoleBinding ServiceAccount without namespace", roleBindingYAML, "namespace: ci, ", "", "subjects[1].namespace: Required value"),
	broken("RoleBinding name with a slash", roleBindingYAML, "name: \"meshwright:tenant-edge:bookinfo\"", "name: \"meshwright/tenant-edge\"", "may not contain '/'"),
	// IstioOperator: strict decoding and the operator's own validation.
	broken("IstioOperator unknown field", istioOperatorYAML, "pilot: {enabled: true}", "pilot: {enabld: true}", "unknown field \"enabld\""),
	broken("IstioOperator unknown values field", istioOperatorYAML, "  meshConfig:", "  values: {global: {proxy: {resourcez: {}}}}\n  meshConfig:", "resourcez"),
	broken("IstioOperator bad tag", istioOperatorYAML, "tag: 1.30.2", "tag: \"1.30.2 rc\"", "bad tag"),
	broken("IstioOperator unknown mesh config field", istioOperatorYAML, "accessLogFile: /dev/stdout", "accessLogFil: /dev/stdout", "unknown field \"accessLogFil\""),
	broken("IstioOperator invalid mesh config", istioOperatorYAML, "accessLogFile: /dev/stdout", "accessLogFile: /dev/stdout, proxyListenPort: 70000", "invalid proxy listen port"),
	// PodSecurityPolicy stand-in.
	broken("PodSecurityPolicy unknown field", podSecurityPolicyYAML, "privileged: true", "priviledged: true", "unknown field \"spec.priviledged\""),
	broken("PodSecurityPolicy bad rule", podSecurityPolicyYAML, "runAsUser: {rule: RunAsAny}", "runAsUser: {rule: MustRunAsRoot}", "spec.runAsUser.rule: Unsupported value"),
	broken("PodSecurityPolicy bad volume", podSecurityPolicyYAML, "volumes: [configMap, hostPath]", "volumes: [configMap, hostpath]", "spec.volumes[1]: Unsupported value"),
	// Kinds no validator knows fail, so new renderers cannot land unchecked.
	broken("unknown kind", serviceAccountYAML, "kind: ServiceAccount", "kind: ServiceAccountant", "kind: Unsupported value: \"/v1, Kind=ServiceAccountant\""),
	broken("unserved version", podSecurityPolicyYAML, "policy/v1beta1", "policy/v1", "kind: Unsupported value: \"policy/v1, Kind=PodSecurityPolicy\""),
	// A well-formed ClusterBundle (TestClusterBundleIsWellFormed): refused
	// because the pinned trust-manager's chart does not install its CRD.
	{name: "ClusterBundle, not installed by the pinned trust-manager", yaml: clusterBundleYAML, want: "kind: Unsupported value: \"trust-manager.io/v1alpha2, Kind=ClusterBundle\""},
}
