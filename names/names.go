// Package names derives object names from input names, within Kubernetes'
// length limits.
package names

import (
	"crypto/sha256"
	"encoding/hex"
)

// MaxLabelValue is the longest label value; names that controllers copy into
// labels must respect it.
const MaxLabelValue = 63

// hashLen is the number of hex digits that replace the end of a name too long
// to keep whole.
const hashLen = 8

// Fit returns name when it has at most max characters. A longer name is cut
// and ends with a hash of the whole name instead, so it stays unique, valid
// (the hash is lowercase hex after a '-') and the same on every run.
func Fit(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:max-hashLen-1] + "-" + hex.EncodeToString(sum[:])[:hashLen]
}

// CredentialName is the Secret, in the ingress gateway's namespace, holding an
// exposed service's certificate: <namespace>-<service>-cert. It leaves room
// for the "-cacert" suffix of its client CA Secret, whose name trust-manager
// also writes into a label.
func CredentialName(namespace, service string) string {
	return Fit(namespace+"-"+service+"-cert", MaxLabelValue-len(CACertSuffix))
}

// CACertSuffix makes the Secret Istio reads a MUTUAL gateway's client CA from.
const CACertSuffix = "-cacert"

// ClientCredential is the Secret, in the egress gateway's namespace, holding
// the client certificate of an egress entry: <namespace>-<name>-client-credential.
// cert-manager copies certificate names into labels.
func ClientCredential(namespace, name string) string {
	return Fit(namespace+"-"+name+"-client-credential", MaxLabelValue)
}

// GatewayName is the Istio Gateway of an exposed service (<service>-gateway)
// or of an egress entry (<name>-egress). Istio requires Gateway names to be
// DNS labels: VirtualServices refer to them as <namespace>/<name>.
func GatewayName(name, suffix string) string {
	return Fit(name+"-"+suffix, MaxLabelValue)
}
