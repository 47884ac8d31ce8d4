package render

import (
	"encoding/json"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	trustv1alpha1 "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshwright/meshwright/names"
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

func gatewayNamespaces(m *spec.MeshSpec) []string {
	var out []string
	for _, gw := range m.Gateways.All() {
		out = append(out, gw.Namespace)
	}
	return out
}

func vaultIssuer(c *spec.Certificates, ns string) []Object {
	v := c.Issuer.Vault
	tokenRequest := c.Issuer.Name + "-tokenrequest"
	sa := &corev1.ServiceAccount{
		TypeMeta:   typeMeta("v1", "ServiceAccount"),
		ObjectMeta: objectMeta(ns, v.ServiceAccount),
	}
	role := &rbacv1.Role{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "Role"),
		ObjectMeta: objectMeta(ns, tokenRequest),
		Rules: []rbacv1.PolicyRule{{
			APIGroups:     []string{""},
			Resources:     []string{"serviceaccounts/token"},
			ResourceNames: []string{v.ServiceAccount},
			Verbs:         []string{"create"},
		}},
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "RoleBinding"),
		ObjectMeta: objectMeta(ns, tokenRequest),
		Subjects: []rbacv1.Subject{{
			Kind: rbacv1.ServiceAccountKind, Name: c.CertManager.ServiceAccount, Namespace: c.CertManager.Namespace,
		}},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: tokenRequest},
	}
	issuer := &cmapi.Issuer{
		TypeMeta:   typeMeta("cert-manager.io/v1", "Issuer"),
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
	return []Object{sa, role, binding, vaultIssuerObject{issuer}}
}

// vaultIssuerObject is an Issuer whose JSON leaves out the token secretRef:
// cert-manager's type always emits it, empty, next to serviceAccountRef,
// and a reviewer should not wonder whether a long-lived token is involved.
type vaultIssuerObject struct{ *cmapi.Issuer }

func (o vaultIssuerObject) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(o.Issuer)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if k, ok := dig(v, "spec", "vault", "auth", "kubernetes"); ok {
		delete(k, "secretRef")
	}
	return json.Marshal(v)
}

// dig returns the map at path inside v.
func dig(v map[string]any, path ...string) (map[string]any, bool) {
	for _, key := range path {
		next, ok := v[key].(map[string]any)
		if !ok {
			return nil, false
		}
		v = next
	}
	return v, true
}

// serverCertificate requests the exposed host's certificate into the
// gateway's namespace, where the gateway reads credentialName from.
func serverCertificate(m *spec.MeshSpec, s spec.Service, gw spec.Gateway) Object {
	return certificate(m.Certificates, gw.Namespace, s.CredentialName(), s.Ingress.Host, cmServerUsages...)
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
		TypeMeta:   typeMeta("cert-manager.io/v1", "Certificate"),
		ObjectMeta: objectMeta(ns, name),
		Spec: cmapi.CertificateSpec{
			SecretName:  name,
			CommonName:  host,
			DNSNames:    []string{host},
			Duration:    duration(c.Duration),
			RenewBefore: duration(c.RenewBefore),
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

// duration parses a schema-validated Go duration.
func duration(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic("render: duration " + s + " passed the schema but does not parse: " + err.Error())
	}
	return &metav1.Duration{Duration: d}
}

// LabelNamespaceName is set by Kubernetes on every namespace to its name.
const LabelNamespaceName = "kubernetes.io/metadata.name"

// clientCABundle keeps the gateway's <credentialName>-cacert Secret filled
// with the full client CA chain from the Mesh's clientCA source. cert-manager
// puts only the issuing CA into ca.crt; trust-manager copies the whole
// bundle and updates it whenever the source changes, so no custom utility
// has to track the CA (the seed's open day-2 problem).
func clientCABundle(ca *spec.ClientCA, credential, ns string) Object {
	return &trustv1alpha1.Bundle{
		TypeMeta:   typeMeta("trust.cert-manager.io/v1alpha1", "Bundle"),
		ObjectMeta: objectMeta("", credential+names.CACertSuffix),
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
