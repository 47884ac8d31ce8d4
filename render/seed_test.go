package render_test

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema/load"
)

// seedObjects are the YAML objects of the seed (the 2021 Istio reference
// architecture this product implements) as the reference example must
// render them: the seed's fields and values, written by hand, with today's
// API versions and the names of docs/api.md. Each is compared field by field with the rendered object (metadata
// name and namespace, and the whole spec or top-level fields given).
var seedObjects = []struct {
	section string
	yaml    string
}{
	{"Network isolation: Deny by Default", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-by-default, namespace: bookinfo}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`},
	{"Network isolation: Allow from Istio Namespace", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-from-istio-namespace-productpage, namespace: bookinfo}
spec:
  podSelector:
    matchLabels: {app: productpage}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {istio-control-namespace: "true"}
  policyTypes: [Ingress]
`},
	{"Network isolation: Allow from Same Namespace", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-same-namespace, namespace: bookinfo}
spec:
  podSelector: {}
  ingress:
    - from:
        - podSelector: {}
  policyTypes: [Ingress]
`},
	{"Allow from Istio Namespace: the labelled control-plane namespace", `
apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
  labels: {istio-control-namespace: "true", app.kubernetes.io/managed-by: meshwright}
`},
	{"Sidecar Injection: istio.io/rev label", `
apiVersion: v1
kind: Namespace
metadata:
  name: bookinfo
  labels: {istio.io/rev: 1-30-2, meshwright.dev/tenant: bookinfo, app.kubernetes.io/managed-by: meshwright}
`},
	{"Istio Secure Ingress Gateway with mTLS: Gateway", `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: productpage-gateway, namespace: bookinfo}
spec:
  selector: {istio: ingressgateway}
  servers:
    - hosts: [productpage.bookinfo.appk8s.com]
      port: {name: https, number: 443, protocol: HTTPS}
      tls: {credentialName: bookinfo-productpage-cert, mode: MUTUAL}
`},
	{"Appendix: Virtual Service Definition", `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: productpage, namespace: bookinfo}
spec:
  gateways: [productpage-gateway]
  hosts: [productpage.bookinfo.appk8s.com]
  http:
    - match:
        - uri: {exact: /productpage}
        - uri: {prefix: /static}
        - uri: {exact: /login}
        - uri: {exact: /logout}
        - uri: {prefix: /api/v1/products}
      route:
        - destination:
            host: productpage
            port: {number: 9080}
`},
	{"Integration with Cert-Manager: Certificate", `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: bookinfo-productpage-cert, namespace: istio-system}
spec:
  secretName: bookinfo-productpage-cert
  issuerRef: {name: vault-issuer, kind: Issuer, group: cert-manager.io}
  commonName: productpage.bookinfo.appk8s.com
  dnsNames: [productpage.bookinfo.appk8s.com]
  duration: 2160h0m0s
  renewBefore: 360h0m0s
  privateKey: {algorithm: RSA, size: 2048, rotationPolicy: Always}
  usages: [server auth, digital signature, key encipherment]
`},
	{"Integration with Vault: Issuer (serviceAccountRef replaces the token secretRef)", `
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: vault-issuer, namespace: istio-system}
spec:
  vault:
    server: http://vault.vault
    path: pki/sign/appk8s-dot-com
    auth:
      kubernetes:
        mountPath: /v1/auth/kubernetes
        role: issuer
        serviceAccountRef: {name: issuer}
`},
	{"Mesh Admin Responsibility: the issuer ServiceAccount", `
apiVersion: v1
kind: ServiceAccount
metadata: {name: issuer, namespace: istio-system}
`},
	{"Integration with Vault: cert-manager may request the issuer's tokens", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: vault-issuer-tokenrequest, namespace: istio-system}
rules:
  - apiGroups: [""]
    resources: [serviceaccounts/token]
    resourceNames: [issuer]
    verbs: [create]
`},
	{"Integration with Vault: cert-manager's binding", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: vault-issuer-tokenrequest, namespace: istio-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: vault-issuer-tokenrequest}
subjects:
  - {kind: ServiceAccount, name: cert-manager, namespace: cert-manager}
`},
	{"Secret Structure: the full client CA chain in <credentialName>-cacert", `
apiVersion: trust.cert-manager.io/v1alpha1
kind: Bundle
metadata: {name: bookinfo-productpage-cert-cacert}
spec:
  sources:
    - secret: {name: enterprise-root-ca, key: ca.crt}
  target:
    secret: {key: cacert}
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: istio-system}
`},
	{"Access Privilege Required to Create a Certificate: ClusterRole", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "meshwright:tenant-edge"}
rules:
  - apiGroups: [cert-manager.io]
    resources: [certificates]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [networking.istio.io]
    resources: [gateways, destinationrules]
    verbs: [get, list, watch, create, update, patch, delete]
`},
	{"Access Privilege Required to Create a Certificate: RoleBinding per tenant", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "meshwright:tenant-edge:bookinfo", namespace: istio-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "meshwright:tenant-edge"}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: bookinfo-devs}
  - {kind: ServiceAccount, name: deployer, namespace: ci}
`},
	{"Request Authentication: RequestAuthentication", `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: reqauth-istio-system, namespace: istio-system}
spec:
  jwtRules:
    - issuer: https://keycloak.example.com/auth/realms/istio
      jwksUri: https://keycloak.example.com/auth/realms/istio/protocol/openid-connect/certs
      forwardOriginalToken: true
`},
	{"Request Authentication: DENY without a request principal at the gateway (HTTP ports named, so TCP passthrough is not denied)", `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: istio-ingressgateway-require-jwt, namespace: istio-system}
spec:
  selector:
    matchLabels: {istio: ingressgateway}
  action: DENY
  rules:
    - from:
        - source:
            notRequestPrincipals: ["*"]
      to:
        - operation:
            ports: ["8080", "8443"]
`},
	{"Request Authentication: ALLOW by claim (selector indented correctly; ALLOW is the default action and omitted)", `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: productpage-allow, namespace: bookinfo}
spec:
  selector:
    matchLabels: {app: productpage}
  rules:
    - from:
        - source:
            namespaces: [istio-system]
      when:
        - key: request.auth.claims[preferred_username]
          values: [prod001]
`},
	{"mTLS Mode: PeerAuthentication", `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
`},
	{"mTLS Mode: DestinationRule", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: productpage, namespace: bookinfo}
spec:
  host: productpage
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
  subsets:
    - name: v1
      labels: {version: v1}
`},
	{"Egress within cluster: Gateway", `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: nginx-egress, namespace: sleep}
spec:
  selector: {istio: egressgateway}
  servers:
    - port: {number: 443, name: https, protocol: HTTPS}
      hosts: [my-nginx.mesh-external.svc.cluster.local]
      tls: {mode: ISTIO_MUTUAL}
`},
	{"Egress within cluster: DestinationRule to the egress gateway (exported to the tenant's namespace only)", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-nginx, namespace: sleep}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  exportTo: ["."]
  subsets:
    - name: nginx
      trafficPolicy:
        portLevelSettings:
          - port: {number: 443}
            tls:
              mode: ISTIO_MUTUAL
              sni: my-nginx.mesh-external.svc.cluster.local
`},
	{"Egress within cluster: VirtualService (exported to the tenant's and the gateway's namespaces)", `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-nginx-through-egress-gateway, namespace: sleep}
spec:
  hosts: [my-nginx.mesh-external.svc.cluster.local]
  gateways: [nginx-egress, mesh]
  exportTo: [".", istio-system]
  http:
    - match:
        - gateways: [mesh]
          port: 80
      route:
        - destination:
            host: istio-egressgateway.istio-system.svc.cluster.local
            subset: nginx
            port: {number: 443}
    - match:
        - gateways: [nginx-egress]
          port: 443
      route:
        - destination:
            host: my-nginx.mesh-external.svc.cluster.local
            port: {number: 443}
`},
	{"Egress within cluster: client Certificate", `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: sleep-nginx-client-credential, namespace: istio-system}
spec:
  secretName: sleep-nginx-client-credential
  issuerRef: {name: vault-issuer, kind: Issuer, group: cert-manager.io}
  commonName: my-nginx.mesh-external.svc.cluster.local
  dnsNames: [my-nginx.mesh-external.svc.cluster.local]
  duration: 2160h0m0s
  renewBefore: 360h0m0s
  privateKey: {algorithm: RSA, size: 2048, rotationPolicy: Always}
  usages: [client auth, digital signature, key encipherment]
`},
	{"Egress within cluster: DestinationRule originating MUTUAL TLS at the egress gateway", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls-for-sleep-nginx, namespace: istio-system}
spec:
  host: my-nginx.mesh-external.svc.cluster.local
  exportTo: ["."]
  workloadSelector:
    matchLabels: {istio: egressgateway}
  trafficPolicy:
    portLevelSettings:
      - port: {number: 443}
        tls:
          mode: MUTUAL
          credentialName: sleep-nginx-client-credential
          sni: my-nginx.mesh-external.svc.cluster.local
          subjectAltNames: [my-nginx.mesh-external.svc.cluster.local]
`},
	{"Egress inter cluster: ServiceEntry (port 80 added: the mesh allows registered ports only; location MESH_EXTERNAL is the default and omitted)", `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: nginx-inter-cluster, namespace: sleep}
spec:
  hosts: [my-nginx.external.appk8s.com]
  exportTo: [".", istio-system]
  resolution: DNS
  ports:
    - {number: 80, name: http, protocol: HTTP}
    - {number: 443, name: https, protocol: HTTPS}
`},
	{"Production-Grade IstioOperator (today's schema: autoscaling/v2 HPA, k8s.service, values.pilot; istiod never fetches JWKS from link-local addresses)", `
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: installed-state-1-30-2
  namespace: istio-system
  annotations: {config.kubernetes.io/local-config: "true", meshwright.dev/source: Mesh/platform}
spec:
  profile: default
  hub: harbor-k8s.shk8s.de/istio
  tag: 1.30.2
  revision: 1-30-2
  namespace: istio-system
  components:
    cni: {enabled: true, namespace: kube-system}
    pilot:
      enabled: true
      k8s:
        env:
          - {name: BLOCKED_CIDRS_IN_JWKS_URIS, value: "169.254.0.0/16,fe80::/10"}
        resources:
          requests: {cpu: 10m, memory: 100Mi}
        strategy:
          type: RollingUpdate
          rollingUpdate: {maxSurge: 100%, maxUnavailable: 25%}
    ingressGateways:
      - name: istio-ingressgateway
        namespace: istio-system
        enabled: true
        label: {istio: ingressgateway}
        k8s:
          env:
            - {name: ISTIO_META_ROUTER_MODE, value: sni-dnat}
          hpaSpec:
            minReplicas: 1
            maxReplicas: 5
            metrics:
              - type: Resource
                resource:
                  name: cpu
                  target: {type: Utilization, averageUtilization: 80}
            scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: istio-ingressgateway}
          resources:
            limits: {cpu: "2", memory: 1Gi}
            requests: {cpu: 10m, memory: 40Mi}
          service:
            type: LoadBalancer
            ports:
              - {name: status-port, port: 15021, targetPort: 15021}
              - {name: http2, port: 80, targetPort: 8080}
              - {name: https, port: 443, targetPort: 8443}
              - {name: tls, port: 15443, targetPort: 15443}
          serviceAnnotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}
          strategy:
            type: RollingUpdate
            rollingUpdate: {maxSurge: 100%, maxUnavailable: 25%}
    egressGateways:
      - name: istio-egressgateway
        namespace: istio-system
        enabled: true
        label: {istio: egressgateway}
        k8s:
          env:
            - {name: ISTIO_META_ROUTER_MODE, value: sni-dnat}
          hpaSpec:
            minReplicas: 1
            maxReplicas: 5
            metrics:
              - type: Resource
                resource:
                  name: cpu
                  target: {type: Utilization, averageUtilization: 80}
            scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: istio-egressgateway}
          resources:
            limits: {cpu: "2", memory: 1Gi}
            requests: {cpu: 10m, memory: 40Mi}
          service:
            type: ClusterIP
            ports:
              - {name: http2, port: 80, targetPort: 8080}
              - {name: https, port: 443, targetPort: 8443}
              - {name: tls, port: 15443, targetPort: 15443}
          strategy:
            type: RollingUpdate
            rollingUpdate: {maxSurge: 100%, maxUnavailable: 25%}
  meshConfig:
    accessLogFile: /dev/stdout
    enablePrometheusMerge: true
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
    trustDomain: cluster.local
  values:
    global:
      istioNamespace: istio-system
      proxy:
        resources:
          limits: {cpu: "2", memory: 1Gi}
          requests: {cpu: 10m, memory: 40Mi}
    pilot:
      cni: {enabled: true}
      traceSampling: 100
`},
}

// legacySeedObjects are the seed's PodSecurityPolicy appendix, rendered for
// a cluster before Pod Security Admission (testdata/golden/kubernetes-1-24).
// The Role's API group is policy (extensions served PSPs until 1.16), and
// the policy allows privileged pods: today's CNI agent runs privileged.
var legacySeedObjects = []struct {
	section string
	yaml    string
}{
	{"PodSecurityPolicy Definition for Istio CNI", `
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: istio-control-plane
  annotations:
    seccomp.security.alpha.kubernetes.io/allowedProfileNames: docker/default,runtime/default
    seccomp.security.alpha.kubernetes.io/defaultProfileName: runtime/default
    meshwright.dev/source: Mesh/legacy
spec:
  privileged: true
  allowPrivilegeEscalation: false
  hostNetwork: true
  volumes: [configMap, emptyDir, projected, secret, downwardAPI, persistentVolumeClaim, hostPath]
  runAsUser: {rule: RunAsAny}
  seLinux: {rule: RunAsAny}
  supplementalGroups:
    ranges: [{max: 65535, min: 1}]
    rule: RunAsAny
  fsGroup:
    ranges: [{max: 65535, min: 1}]
    rule: MustRunAs
  allowedHostPaths:
    - pathPrefix: /etc/cni/net.d
    - pathPrefix: /opt/cni/bin
`},
	{"PodSecurityPolicy Definition for Istio CNI: Role", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: istio-control-plane, namespace: kube-system}
rules:
  - apiGroups: [policy]
    resources: [podsecuritypolicies]
    resourceNames: [istio-control-plane]
    verbs: [use]
`},
	{"PodSecurityPolicy Definition for Istio CNI: RoleBinding", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: istio-control-plane, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: istio-control-plane}
subjects:
  - {kind: ServiceAccount, name: istio-cni, namespace: kube-system}
`},
}

func TestReferenceArchitectureRendersTheSeed(t *testing.T) {
	t.Run("no ServiceEntry for an in-cluster host", func(t *testing.T) {
		for _, o := range renderExample(t, "../examples/reference-architecture/spec") {
			if render.Kind(o) == "ServiceEntry" && o.GetName() == "nginx" {
				t.Errorf("ServiceEntry %s/%s rendered for a cluster-local host", o.GetNamespace(), o.GetName())
			}
		}
	})
	t.Run("reference-architecture", func(t *testing.T) {
		assertRendered(t, "../examples/reference-architecture/spec", seedObjects)
	})
	t.Run("kubernetes-1-24", func(t *testing.T) {
		assertRendered(t, "../testdata/golden/kubernetes-1-24/spec", legacySeedObjects)
	})
}

func assertRendered(t *testing.T, dir string, cases []struct{ section, yaml string }) {
	objs := renderExample(t, dir)
	for _, tc := range cases {
		t.Run(tc.section, func(t *testing.T) {
			var want map[string]any
			if err := yaml.Unmarshal([]byte(tc.yaml), &want); err != nil {
				t.Fatalf("bad expectation: %v", err)
			}
			md := want["metadata"].(map[string]any)
			name, _ := md["name"].(string)
			ns, _ := md["namespace"].(string)
			got := find(t, objs, want["kind"].(string), ns, name)
			assertSubset(t, want, got)
		})
	}
}

// assertSubset compares every top-level field of want with got; metadata
// only in the keys want names (name, namespace, labels).
func assertSubset(t *testing.T, want, got map[string]any) {
	t.Helper()
	for key, w := range want {
		g := got[key]
		if key == "metadata" {
			gm := g.(map[string]any)
			for mk, mv := range w.(map[string]any) {
				if !reflect.DeepEqual(normalize(mv), normalize(gm[mk])) {
					t.Errorf("metadata.%s = %v, want %v", mk, gm[mk], mv)
				}
			}
			continue
		}
		if !reflect.DeepEqual(normalize(w), normalize(g)) {
			wy, _ := yaml.Marshal(w)
			gy, _ := yaml.Marshal(g)
			t.Errorf("%s differs\n--- want\n%s--- got\n%s", key, wy, gy)
		}
	}
}

// normalize makes YAML-decoded and encoder-produced values comparable
// (ints of different widths, label maps with extra managed-by entries).
func normalize(v any) any {
	b, _ := yaml.Marshal(v)
	var out any
	_ = yaml.Unmarshal(b, &out)
	return out
}

func renderExample(t *testing.T, dir string) []render.Object {
	t.Helper()
	spec, err := load.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := render.Render(spec)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return objs
}

func find(t *testing.T, objs []render.Object, kind, ns, name string) map[string]any {
	t.Helper()
	for _, o := range objs {
		if render.Kind(o) == kind && o.GetNamespace() == ns && o.GetName() == name {
			m, err := encode.Plain(o)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("%s %s/%s not rendered", kind, ns, name)
	return nil
}
