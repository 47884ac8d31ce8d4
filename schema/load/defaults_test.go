package load

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshwright/meshwright/schema"
)

const minimalMesh = `apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata: {name: platform}
spec:
  domain: example.com
  controlPlane:
    hub: registry.example.com/istio
    revisions: [{version: 1.30.2}, {version: 1.31.0}]
  gateways:
    egress: [{name: istio-egressgateway}, {name: second-egress}]
  certificates:
    issuer:
      vault: {server: https://vault.example.com, path: pki/sign/example, role: issuer}
    clientCA:
      secret: {name: root-ca}
`

const minimalTenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata: {name: shop}
spec:
  namespaces: [{name: shop}, {name: shop-jobs, revision: 1-31-0}]
  services:
    - name: web
      port: 80
      ingress: {}
    - name: worker
      namespace: shop-jobs
      port: 9000
  egress:
    - {name: in-cluster, host: db.data.svc.cluster.local}
    - {name: outside, host: api.payments.example.net}
`

// TestDefaults checks every default docs/api.md promises on a spec that sets
// only what is required.
func TestDefaults(t *testing.T) {
	spec, err := Parse(schema.File{Path: "mesh.yaml", Data: []byte(minimalMesh)}, schema.File{Path: "tenant.yaml", Data: []byte(minimalTenant)})
	if err != nil {
		t.Fatal(err)
	}
	m, tn := spec.Mesh.Spec, spec.Tenants[0].Spec
	ingress := m.Gateways.Ingress[0]
	web, worker := tn.Services[0], tn.Services[1]
	tests := []struct {
		field string
		got   any
		want  any
	}{
		{"kubernetesVersion", m.KubernetesVersion, schema.KubernetesVersion{Major: 1, Minor: 30}},
		{"trustDomain", m.TrustDomain, "cluster.local"},
		{"controlPlane.namespace", m.ControlPlane.Namespace, "istio-system"},
		{"controlPlane.namespaceLabels", m.ControlPlane.NamespaceLabels, map[string]string{"istio-control-namespace": "true"}},
		{"controlPlane.profile", m.ControlPlane.Profile, "default"},
		{"revision name from version", m.ControlPlane.Revisions[1].Name, "1-31-0"},
		{"controlPlane.defaultRevision is the first revision", m.ControlPlane.DefaultRevision, "1-30-2"},
		{"controlPlane.gatewayRevision is the default revision", m.ControlPlane.GatewayRevision, "1-30-2"},
		{"cni.enabled", m.ControlPlane.CNI.Enabled, true},
		{"cni.namespace", m.ControlPlane.CNI.Namespace, "kube-system"},
		{"accessLogFile", m.ControlPlane.AccessLogFile, "/dev/stdout"},
		{"outboundTrafficPolicy", m.ControlPlane.OutboundTrafficPolicy, schema.OutboundRegistryOnly},
		{"prometheusMerge", m.ControlPlane.PrometheusMerge, true},
		{"one ingress gateway", len(m.Gateways.Ingress), 1},
		{"ingress gateway name", ingress.Name, "istio-ingressgateway"},
		{"ingress gateway namespace", ingress.Namespace, "istio-system"},
		{"ingress gateway labels", ingress.Labels, map[string]string{"istio": "ingressgateway"}},
		{"ingress service type", ingress.Service.Type, corev1.ServiceTypeLoadBalancer},
		{"autoscale", ingress.Autoscale, schema.Autoscale{Min: 1, Max: 5, CPUUtilization: 80}},
		{"requireJWT", ingress.RequireJWT, false},
		{"egress gateway namespace", m.Gateways.Egress[0].Namespace, "istio-system"},
		{"egress gateway labels", m.Gateways.Egress[0].Labels, map[string]string{"istio": "egressgateway"}},
		{"egress labels without istio- prefix", m.Gateways.Egress[1].Labels, map[string]string{"istio": "second-egress"}},
		{"egress service type", m.Gateways.Egress[0].Service.Type, corev1.ServiceTypeClusterIP},
		{"security.mtls", m.Security.MTLS, schema.MTLSStrict},
		{"security.jwksBlockedCIDRs", m.Security.JWKSBlockedCIDRs, []string{"169.254.0.0/16", "fe80::/10"}},
		{"issuer name", m.Certificates.Issuer.Name, "vault-issuer"},
		{"vault mountPath", m.Certificates.Issuer.Vault.MountPath, "/v1/auth/kubernetes"},
		{"vault serviceAccount", m.Certificates.Issuer.Vault.ServiceAccount, "vault-issuer"},
		{"certManager", m.Certificates.CertManager, schema.CertManager{Namespace: "cert-manager", ServiceAccount: "cert-manager"}},
		{"clientCA key", m.Certificates.ClientCA.Secret.Key, "ca.crt"},
		{"duration", m.Certificates.Duration.Duration, 2160 * time.Hour},
		{"renewBefore", m.Certificates.RenewBefore.Duration, 360 * time.Hour},
		{"networkPolicy.denyByDefault", m.NetworkPolicy.DenyByDefault, true},

		{"tenant revision is the Mesh default", tn.Revision, "1-30-2"},
		{"namespace revision is the tenant's", tn.Namespaces[0].Revision, "1-30-2"},
		{"namespace revision override kept", tn.Namespaces[1].Revision, "1-31-0"},
		{"allowSameNamespace", tn.Namespaces[0].AllowSameNamespace, false},
		{"service namespace is the first namespace", web.Namespace, "shop"},
		{"service namespace kept", worker.Namespace, "shop-jobs"},
		{"ingress gateway is the first", web.Ingress.Gateway, "istio-ingressgateway"},
		{"ingress host", web.Ingress.Host, "web.shop.example.com"},
		{"ingress tls", web.Ingress.TLS, schema.TLSSimple},
		{"ingress routes", web.Ingress.Routes, []schema.Route{{Prefix: "/"}}},
		{"egress namespace", tn.Egress[0].Namespace, "shop"},
		{"egress port", tn.Egress[0].Port, int32(443)},
		{"egress tls", tn.Egress[0].TLS, schema.TLSMutual},
		{"egress gateway is the first", tn.Egress[0].Gateway, "istio-egressgateway"},
		{"egress location of a cluster host", tn.Egress[0].Location, schema.LocationCluster},
		{"egress location of another host", tn.Egress[1].Location, schema.LocationExternal},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			if fmt.Sprintf("%#v", tc.got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
}

// TestDefaultsDoNotOverride checks that values the user gave win over
// defaults, including labels, which must replace the default, not merge.
func TestDefaultsDoNotOverride(t *testing.T) {
	mesh := minimalMesh + `  security: {mtls: PERMISSIVE}
  networkPolicy: {denyByDefault: false}
`
	mesh = replaceOnce(mesh, "  domain: example.com\n", "  domain: example.com\n  trustDomain: corp.example\n")
	mesh = replaceOnce(mesh, "    revisions: [{version: 1.30.2}, {version: 1.31.0}]\n",
		"    namespaceLabels: {role: mesh}\n    revisions: [{version: 1.30.2, name: stable}]\n")
	mesh = replaceOnce(mesh, "    egress: [{name: istio-egressgateway}, {name: second-egress}]\n",
		"    ingress: [{name: edge, labels: {app: edge}, service: {type: NodePort}}]\n")
	mesh = replaceOnce(mesh, "    clientCA:\n      secret: {name: root-ca}\n", "")
	spec, err := Parse(schema.File{Path: "mesh.yaml", Data: []byte(mesh)})
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Mesh.Spec
	for _, tc := range []struct {
		field     string
		got, want any
	}{
		{"trustDomain", m.TrustDomain, "corp.example"},
		{"namespaceLabels replaced, not merged", m.ControlPlane.NamespaceLabels, map[string]string{"role": "mesh"}},
		{"revision name", m.ControlPlane.Revisions[0].Name, "stable"},
		{"defaultRevision follows the name", m.ControlPlane.DefaultRevision, "stable"},
		{"gateway labels replaced, not merged", m.Gateways.Ingress[0].Labels, map[string]string{"app": "edge"}},
		{"service type", m.Gateways.Ingress[0].Service.Type, "NodePort"},
		{"no egress gateways", len(m.Gateways.Egress), 0},
		{"mtls", m.Security.MTLS, "PERMISSIVE"},
		{"denyByDefault", m.NetworkPolicy.DenyByDefault, false},
	} {
		t.Run(tc.field, func(t *testing.T) {
			if fmt.Sprintf("%#v", tc.got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	panic("test setup: " + old + " not found")
}
