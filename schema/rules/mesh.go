package rules

import (
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/meshwright/meshwright/schema"
)

// minCertificateDuration is the shortest certificate cert-manager issues.
const minCertificateDuration = time.Hour

func (c *checker) meshError(code schema.Code, path schema.Path, format string, args ...any) {
	c.error(code, c.mesh.Origin, schema.KindMesh+"/"+c.mesh.Metadata.Name, path, format, args...)
}

func (c *checker) checkMesh() {
	c.checkRevisions()
	spec := schema.Path{"spec"}
	for i, cidr := range c.mesh.Spec.Security.JWKSBlockedCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			c.meshError(schema.CodeInvalidCIDR, spec.Child("security", "jwksBlockedCIDRs", i), "%q is not a network in CIDR notation", cidr)
		}
	}
	c.checkCertificates()
	c.checkGateways()
	c.checkHelmInstall()
	if cp := c.mesh.Spec.ControlPlane; c.mesh.Spec.Dataplane == schema.DataplaneAmbient && !cp.CNI.Enabled {
		c.meshError(schema.CodeAmbientWithoutCNI, spec.Child("controlPlane", "cni", "enabled"), "dataplane ambient needs the Istio CNI: it redirects ambient pods' traffic to ztunnel")
	}
}

func (c *checker) checkRevisions() {
	cp := c.mesh.Spec.ControlPlane
	path := schema.Path{"spec", "controlPlane"}
	names, versions := map[string]int{}, map[string]int{}
	for i, r := range cp.Revisions {
		if j, dup := versions[r.Version]; dup {
			c.meshError(schema.CodeDuplicateVersion, path.Child("revisions", i, "version"), "version %s is already revision %d: each version is installed once", r.Version, j)
		}
		versions[r.Version] = i
		if j, dup := names[r.Name]; dup {
			c.meshError(schema.CodeDuplicateRevision, path.Child("revisions", i, "name"), "revision name %q is already used by revision %d", r.Name, j)
		}
		names[r.Name] = i
	}
	for _, tag := range slices.Sorted(maps.Keys(cp.Tags)) {
		target := cp.Tags[tag]
		if _, clash := names[tag]; clash {
			c.meshError(schema.CodeTagNamedLikeRevision, path.Child("tags", tag), "tag %q is named like a revision: istio.io/rev=%s would be ambiguous", tag, tag)
		}
		if _, ok := names[target]; !ok {
			c.meshError(schema.CodeUnknownRevision, path.Child("tags", tag), "tag %q points to unknown revision %q (revisions: %s)", tag, target, strings.Join(revisionNames(cp), ", "))
		}
	}
	for _, field := range []struct{ name, value string }{
		{"defaultRevision", cp.DefaultRevision},
		{"gatewayRevision", cp.GatewayRevision},
	} {
		if field.name == "gatewayRevision" && field.value == cp.DefaultRevision {
			continue // inherited (or repeated): its defaultRevision is reported
		}
		if !c.knownRevision(field.value) {
			c.meshError(schema.CodeUnknownRevision, path.Child(field.name), "unknown revision or tag %q (%s)", field.value, c.revisionChoices())
		}
	}
}

func (c *checker) checkCertificates() {
	certs := c.mesh.Spec.Certificates
	if certs == nil {
		return
	}
	path := schema.Path{"spec", "certificates"}
	switch {
	case certs.Duration.Duration < minCertificateDuration:
		c.meshError(schema.CodeCertificateTooShort, path.Child("duration"), "duration %s is shorter than cert-manager's minimum of 1h", certs.Duration)
	case certs.RenewBefore.Duration >= certs.Duration.Duration:
		c.meshError(schema.CodeRenewAfterExpiry, path.Child("renewBefore"), "renewBefore %s must be shorter than duration %s, or certificates renew forever", certs.RenewBefore, certs.Duration)
	}
}

func (c *checker) checkGateways() {
	seen := map[string]string{}
	c.eachGateway(func(path schema.Path, gw schema.Gateway) {
		if prev, dup := seen[gw.Name]; dup {
			c.meshError(schema.CodeDuplicateGateway, path.Child("name"), "gateway name %q is already used by %s: gateway names are unique", gw.Name, prev)
		} else {
			seen[gw.Name] = path.String()
		}
		if gw.API == schema.GatewayAPIKubernetes && len(gw.Name) > maxGatewayAPIName {
			c.meshError(schema.CodeGatewayNameTooLong, path.Child("name"), "a gateway-api gateway's name has at most %d characters (this one has %d): istiod names its Deployment, Service and ServiceAccount %s-istio", maxGatewayAPIName, len(gw.Name), gw.Name)
		}
		if gw.RequireJWT && len(c.mesh.Spec.Security.JWT) == 0 {
			c.meshError(schema.CodeRequireJWTNoProvider, path.Child("requireJWT"), "requireJWT needs at least one provider in spec.security.jwt: without one every request would be denied")
		}
	})
}

// eachGateway calls fn with every gateway and its path, ingress first.
func (c *checker) eachGateway(fn func(path schema.Path, gw schema.Gateway)) {
	gws := c.mesh.Spec.Gateways
	for _, g := range []struct {
		kind string
		list []schema.Gateway
	}{{"ingress", gws.Ingress}, {"egress", gws.Egress}} {
		for i, gw := range g.list {
			fn(schema.Path{"spec", "gateways", g.kind}.Child(i), gw)
		}
	}
}

// checkHelmInstall checks what installing through Helm charts needs: where
// the charts come from, and release names Helm accepts.
func (c *checker) checkHelmInstall() {
	cp := c.mesh.Spec.ControlPlane
	if cp.Install == schema.InstallIstioctl {
		return
	}
	path := schema.Path{"spec", "controlPlane"}
	if cp.ChartRepository == "" {
		c.meshError(schema.CodeNoChartRepository, path.Child("install"), "install %s installs Istio's Helm charts: set spec.controlPlane.chartRepository to where they come from (oci://... or https://...)", cp.Install)
	}
	for i, rev := range cp.Revisions {
		if name := "istiod-" + rev.Name; len(name) > maxReleaseName {
			c.meshError(schema.CodeReleaseNameTooLong, path.Child("revisions", i, "name"), "the istiod release %q has %d characters, Helm allows %d", name, len(name), maxReleaseName)
		}
	}
	c.eachGateway(func(path schema.Path, gw schema.Gateway) {
		if gw.API == schema.GatewayAPIIstio && len(gw.Name) > maxReleaseName {
			c.meshError(schema.CodeReleaseNameTooLong, path.Child("name"), "the gateway's Helm release %q has %d characters, Helm allows %d", gw.Name, len(gw.Name), maxReleaseName)
		}
	})
}

// maxReleaseName is Helm's limit on release names.
const maxReleaseName = 53

// maxGatewayAPIName leaves room for the "-istio" istiod appends to a
// Gateway API Gateway's name for the objects it deploys.
const maxGatewayAPIName = 63 - len("-istio")

// knownRevision tells whether name is a revision or a tag of the Mesh.
func (c *checker) knownRevision(name string) bool {
	cp := c.mesh.Spec.ControlPlane
	if _, ok := cp.Tags[name]; ok {
		return true
	}
	return slices.Contains(revisionNames(cp), name)
}

// revisionChoices lists the revisions and tags for a message.
func (c *checker) revisionChoices() string {
	cp := c.mesh.Spec.ControlPlane
	s := "revisions: " + strings.Join(revisionNames(cp), ", ")
	if len(cp.Tags) > 0 {
		s += "; tags: " + strings.Join(slices.Sorted(maps.Keys(cp.Tags)), ", ")
	}
	return s
}

func revisionNames(cp schema.ControlPlane) []string {
	out := make([]string, len(cp.Revisions))
	for i, r := range cp.Revisions {
		out[i] = r.Name
	}
	return out
}

// reservedNamespaces are the namespaces no tenant may own, with the reason.
func (c *checker) reservedNamespaces() map[string]string {
	m := c.mesh.Spec
	reserved := map[string]string{m.ControlPlane.Namespace: "the control-plane namespace"}
	if m.ControlPlane.CNI.Enabled {
		reserved[m.ControlPlane.CNI.Namespace] = "the CNI namespace"
	}
	for _, g := range m.Gateways.All() {
		if _, ok := reserved[g.Namespace]; !ok {
			reserved[g.Namespace] = "gateway " + g.Name + "'s namespace"
		}
	}
	if m.Certificates != nil {
		reserved[m.Certificates.CertManager.Namespace] = "cert-manager's namespace"
	}
	return reserved
}
