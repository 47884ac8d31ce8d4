package render

import (
	"fmt"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	trustv1alpha1 "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// issuerObjects renders the Vault Issuer in every namespace certificates
// are issued in (the control plane's and each gateway's: a Certificate can
// only use an Issuer of its own namespace), each with the ServiceAccount it
// logs in to Vault as and the RBAC that lets cert-manager request that
// account's short-lived tokens — no long-lived token Secret.
func issuerObjects(m *spec.MeshSpec) []Object {
	if m.Certificates == nil {
		return nil
	}
	var objs []Object
	for _, ns := range certificateNamespaces(m) {
		objs = append(objs, vaultIssuer(m.Certificates, ns)...)
	}
	return objs
}

// certificateNamespaces lists, once each and in order of appearance, the
// control-plane namespace and the gateways' namespaces.
func certificateNamespaces(m *spec.MeshSpec) []string {
	seen := map[string]bool{}
	var out []string
	for _, ns := range append([]string{m.ControlPlane.Namespace}, gatewayNamespaces(m)...) {
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	return out
}

// gatewayNamespaces lists the namespaces of Istio-API gateways: a
// gateway-api gateway's certificates live in its tenants' namespaces.
func gatewayNamespaces(m *spec.MeshSpec) []string {
	var out []string
	for _, gw := range m.Gateways.All() {
		if !isGatewayAPI(gw) {
			out = append(out, gw.Namespace)
		}
	}
	return out
}

func vaultIssuer(c *spec.Certificates, ns string) []Object {
	v := c.Issuer.Vault
	tokenRequest := c.Issuer.Name + "-tokenrequest"
	sa := &corev1.ServiceAccount{
		TypeMeta:   typeServiceAccount,
		ObjectMeta: objectMeta(ns, v.ServiceAccount),
	}
	// cert-manager may request that account's short-lived tokens, and nothing else
	rbac := grantToServiceAccount(ns, tokenRequest, rbacv1.PolicyRule{
		APIGroups:     []string{""},
		Resources:     []string{"serviceaccounts/token"},
		ResourceNames: []string{v.ServiceAccount},
		Verbs:         []string{"create"},
	}, c.CertManager.Namespace, c.CertManager.ServiceAccount)
	issuer := &cmapi.Issuer{
		TypeMeta:   typeIssuer,
		ObjectMeta: objectMeta(ns, c.Issuer.Name),
		Spec: cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{Vault: &cmapi.VaultIssuer{
			Server: v.Server,
			Path:   v.Path,
			Auth: cmapi.VaultAuth{Kubernetes: &cmapi.VaultKubernetesAuth{
				Path:              v.MountPath,
				Role:              v.Role,
				ServiceAccountRef: &cmapi.ServiceAccountRef{Name: v.ServiceAccount},
			}},
		}}},
	}
	return append(append([]Object{sa}, rbac...), issuer)
}

// serverCertificate requests the exposed host's certificate into the
// gateway's namespace, where the gateway reads credentialName from.
func serverCertificate(m *spec.MeshSpec, s spec.Service, gw spec.Gateway) Object {
	return certificate(m.Certificates, gw.Namespace, credentialName(s), s.Ingress.Host, cmServerUsages...)
}

// Key usages of server (ingress) and client (egress) certificates.
var (
	cmServerUsages = []cmapi.KeyUsage{cmapi.UsageServerAuth, cmapi.UsageDigitalSignature, cmapi.UsageKeyEncipherment}
	cmClientUsages = []cmapi.KeyUsage{cmapi.UsageClientAuth, cmapi.UsageDigitalSignature, cmapi.UsageKeyEncipherment}
)

// certificate is a Vault-issued certificate for one host. The key is RSA
// because Vault PKI roles default to key_type rsa; it is rotated on every
// renewal, so a leaked key expires with its certificate.
func certificate(c *spec.Certificates, ns, name, host string, usages ...cmapi.KeyUsage) Object {
	return &cmapi.Certificate{
		TypeMeta:   typeCertificate,
		ObjectMeta: objectMeta(ns, name),
		Spec: cmapi.CertificateSpec{
			SecretName:  name,
			CommonName:  host,
			DNSNames:    []string{host},
			Duration:    &metav1.Duration{Duration: c.Duration.Duration},
			RenewBefore: &metav1.Duration{Duration: c.RenewBefore.Duration},
			IssuerRef:   cmmeta.IssuerReference{Name: c.Issuer.Name, Kind: cmapi.IssuerKind, Group: "cert-manager.io"},
			PrivateKey: &cmapi.CertificatePrivateKey{
				RotationPolicy: cmapi.RotationPolicyAlways,
				Algorithm:      cmapi.RSAKeyAlgorithm,
				Size:           2048,
			},
			Usages: usages,
		},
	}
}

// clientCABundle keeps the gateway's <credentialName>-cacert Secret filled
// with the full client CA chain from the Mesh's clientCA source. cert-manager
// puts only the issuing CA into ca.crt; trust-manager copies the whole
// bundle and updates it whenever the source changes, so no custom utility
// has to track the CA (the seed's open day-2 problem).
//
// It is a Bundle, not its successor ClusterBundle (trust-manager.io/v1alpha2):
// the pinned trust-manager (v0.25.0) defines ClusterBundle but its chart
// installs, and its controller reconciles, Bundle only, so a ClusterBundle
// would write no Secret. internal/conformance fails when that changes
// (TestTrustManagerCRDsAreTheOnesItsChartInstalls) and proves the move is a
// rename (TestRenderedBundlesConvertToClusterBundles); README, "Certificates
// and the client CA chain".
func clientCABundle(ca *spec.ClientCA, credential, ns string) Object {
	return &trustv1alpha1.Bundle{
		TypeMeta:   typeBundle,
		ObjectMeta: objectMeta("", credential+caCertSuffix),
		Spec: trustv1alpha1.BundleSpec{
			Sources: []trustv1alpha1.BundleSource{{
				Secret: &trustv1alpha1.SourceObjectKeySelector{Name: ca.Secret.Name, Key: ca.Secret.Key},
			}},
			Target: trustv1alpha1.BundleTarget{
				Secret:            &trustv1alpha1.TargetTemplate{Key: "cacert"},
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelNamespaceName: ns}},
			},
		},
	}
}

// clientCAWarnings warns about MUTUAL services whose client CA Secret is
// not rendered because the Mesh names no clientCA source.
func clientCAWarnings(m *spec.MeshSpec, t *spec.Tenant) spec.Diagnostics {
	if m.Certificates == nil || m.Certificates.ClientCA != nil {
		return nil
	}
	var diags spec.Diagnostics
	for i, s := range t.Spec.Services {
		if s.Ingress == nil || s.Ingress.TLS != spec.TLSMutual {
			continue
		}
		d := t.Origin.Locate(spec.SeverityWarning, spec.CodeMutualWithoutClientCA, spec.Path{"spec", "services"}.Child(i, "ingress", "tls"),
			fmt.Sprintf("tls MUTUAL without Mesh spec.certificates.clientCA: the %s%s secret must be provided by hand", credentialName(s), caCertSuffix))
		d.Resource = sourceOf(t.Kind, t.Metadata.Name)
		diags = append(diags, d)
	}
	return diags
}
