package render

import (
	"crypto/sha256"
	"encoding/hex"

	spec "github.com/meshwright/meshwright/schema"
)

// Names of rendered objects, derived from input names within Kubernetes'
// and Istio's length limits.

// maxLabelValue is the longest label value; names that controllers copy into
// labels must respect it.
const maxLabelValue = 63

// hashLen is the number of hex digits that replace the end of a name too long
// to keep whole.
const hashLen = 8

// fitName returns name when it has at most max characters. A longer name is
// cut and ends with a hash of the whole name instead, so it stays unique,
// valid (the hash is lowercase hex after a '-') and the same on every run.
func fitName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:max-hashLen-1] + "-" + hex.EncodeToString(sum[:])[:hashLen]
}

// credentialName is the Secret, in the ingress gateway's namespace, holding
// an exposed service's certificate: <namespace>-<service>-cert. It leaves
// room for the "-cacert" suffix of its client CA Secret, whose name
// trust-manager also writes into a label.
func credentialName(s spec.Service) string {
	return fitName(s.Namespace+"-"+s.Name+"-cert", maxLabelValue-len(caCertSuffix))
}

// caCertSuffix makes the Secret Istio reads a MUTUAL gateway's client CA from.
const caCertSuffix = "-cacert"

// clientCredential is the Secret, in the egress gateway's namespace, holding
// the client certificate of an egress entry:
// <namespace>-<name>-client-credential. cert-manager copies certificate
// names into labels.
func clientCredential(e spec.Egress) string {
	return fitName(e.Namespace+"-"+e.Name+"-client-credential", maxLabelValue)
}

// Istio requires Gateway names to be DNS labels: VirtualServices refer to
// them as <namespace>/<name>.

// gatewayName is the Istio Gateway of an exposed service: <service>-gateway.
func gatewayName(s spec.Service) string { return fitName(s.Name+"-gateway", maxLabelValue) }

// egressGatewayName is the Istio Gateway of an egress entry: <name>-egress.
func egressGatewayName(e spec.Egress) string { return fitName(e.Name+"-egress", maxLabelValue) }
