package schema

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"
)

// check runs the refusals that span fields or documents (API.md, "Refused").
// Every check reports at the field the user has to change.
func check(spec *Spec) []Diagnostic {
	c := &checker{mesh: spec.Mesh}
	c.checkMesh()
	owners := map[string]owned{} // namespace -> owning tenant
	hosts := map[string]owned{}  // exposed host -> owner
	egressHosts := map[string]owned{}
	tenants := map[string]owned{}
	for _, t := range spec.Tenants {
		c.checkTenant(t, tenants, owners, hosts, egressHosts)
	}
	return c.diags
}

// owned remembers the first claim on a unique thing, to name it in the error
// about a second claim.
type owned struct {
	tenant *Tenant
	path   Path
}

func (o owned) String() string {
	d := o.tenant.Origin.Locate(SeverityError, o.path, "")
	return fmt.Sprintf("Tenant/%s (%s:%d)", o.tenant.Metadata.Name, d.File, d.Line)
}

type checker struct {
	mesh  *Mesh
	diags []Diagnostic
}

func (c *checker) errorf(o Origin, resource string, path Path, format string, args ...any) {
	d := o.Locate(SeverityError, path, fmt.Sprintf(format, args...))
	d.Resource = resource
	c.diags = append(c.diags, d)
}

func (c *checker) warnf(o Origin, resource string, path Path, format string, args ...any) {
	d := o.Locate(SeverityWarning, path, fmt.Sprintf(format, args...))
	d.Resource = resource
	c.diags = append(c.diags, d)
}

func (c *checker) meshErrorf(path string, format string, args ...any) {
	c.errorf(c.mesh.Origin, "Mesh/"+c.mesh.Metadata.Name, ParsePath(path), format, args...)
}

func (c *checker) checkMesh() {
	cp := c.mesh.Spec.ControlPlane
	names, versions := map[string]int{}, map[string]int{}
	for i, r := range cp.Revisions {
		if j, dup := versions[r.Version]; dup {
			c.meshErrorf(fmt.Sprintf("spec.controlPlane.revisions[%d].version", i), "version %s is already revision %d: each version is installed once", r.Version, j)
		}
		versions[r.Version] = i
		if j, dup := names[r.Name]; dup {
			c.meshErrorf(fmt.Sprintf("spec.controlPlane.revisions[%d].name", i), "revision name %q is already used by revision %d", r.Name, j)
		}
		names[r.Name] = i
	}
	for _, tag := range slices.Sorted(maps.Keys(cp.Tags)) {
		target := cp.Tags[tag]
		path := "spec.controlPlane.tags." + tag
		if _, clash := names[tag]; clash {
			c.meshErrorf(path, "tag %q is named like a revision: istio.io/rev=%s would be ambiguous", tag, tag)
		}
		if _, ok := names[target]; !ok {
			c.meshErrorf(path, "tag %q points to unknown revision %q (revisions: %s)", tag, target, strings.Join(revisionNames(cp), ", "))
		}
	}
	for _, field := range []struct{ path, value string }{
		{"spec.controlPlane.defaultRevision", cp.DefaultRevision},
		{"spec.controlPlane.gatewayRevision", cp.GatewayRevision},
	} {
		if !c.knownRevision(field.value) {
			c.meshErrorf(field.path, "unknown revision or tag %q (%s)", field.value, c.revisionChoices())
		}
	}
	for i, cidr := range c.mesh.Spec.Security.JWKSBlockedCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			c.meshErrorf(fmt.Sprintf("spec.security.jwksBlockedCIDRs[%d]", i), "%q is not a network in CIDR notation", cidr)
		}
	}
	c.checkCertificates()
	gateways := map[string]string{}
	for _, g := range []struct {
		kind string
		list []Gateway
	}{{"ingress", c.mesh.Spec.Gateways.Ingress}, {"egress", c.mesh.Spec.Gateways.Egress}} {
		for i, gw := range g.list {
			path := fmt.Sprintf("spec.gateways.%s[%d]", g.kind, i)
			if prev, dup := gateways[gw.Name]; dup {
				c.meshErrorf(path+".name", "gateway name %q is already used by %s: gateway names are unique", gw.Name, prev)
			} else {
				gateways[gw.Name] = path
			}
			if gw.RequireJWT && len(c.mesh.Spec.Security.JWT) == 0 {
				c.meshErrorf(path+".requireJWT", "requireJWT needs at least one provider in spec.security.jwt: without one every request would be denied")
			}
		}
	}
}

// minCertificateDuration is the shortest certificate cert-manager issues.
const minCertificateDuration = time.Hour

func (c *checker) checkCertificates() {
	certs := c.mesh.Spec.Certificates
	if certs == nil {
		return
	}
	duration, errD := time.ParseDuration(certs.Duration)
	renew, errR := time.ParseDuration(certs.RenewBefore)
	switch {
	case errD != nil || errR != nil:
		// the schema's pattern admits only what ParseDuration reads
		c.meshErrorf("spec.certificates", "durations do not parse: %v", errors.Join(errD, errR))
	case duration < minCertificateDuration:
		c.meshErrorf("spec.certificates.duration", "duration %s is shorter than cert-manager's minimum of 1h", certs.Duration)
	case renew >= duration:
		c.meshErrorf("spec.certificates.renewBefore", "renewBefore %s must be shorter than duration %s, or certificates renew forever", certs.RenewBefore, certs.Duration)
	}
}

func (c *checker) knownRevision(name string) bool {
	cp := c.mesh.Spec.ControlPlane
	if _, ok := cp.Tags[name]; ok {
		return true
	}
	for _, r := range cp.Revisions {
		if r.Name == name {
			return true
		}
	}
	return false
}

func (c *checker) revisionChoices() string {
	cp := c.mesh.Spec.ControlPlane
	s := "revisions: " + strings.Join(revisionNames(cp), ", ")
	if len(cp.Tags) > 0 {
		s += "; tags: " + strings.Join(slices.Sorted(maps.Keys(cp.Tags)), ", ")
	}
	return s
}

func revisionNames(cp ControlPlane) []string {
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

func (c *checker) checkTenant(t *Tenant, tenants, owners, hosts, egressHosts map[string]owned) {
	res := "Tenant/" + t.Metadata.Name
	errorf := func(path Path, format string, args ...any) { c.errorf(t.Origin, res, path, format, args...) }
	if prev, dup := tenants[t.Metadata.Name]; dup {
		errorf(Path{"metadata", "name"}, "tenant %q is defined twice (first: %s)", t.Metadata.Name, prev)
	} else {
		tenants[t.Metadata.Name] = owned{t, Path{"metadata", "name"}}
	}
	spec := t.Spec
	if spec.Revision != "" && !c.knownRevision(spec.Revision) {
		errorf(Path{"spec", "revision"}, "unknown revision or tag %q (%s)", spec.Revision, c.revisionChoices())
	}
	reserved := c.reservedNamespaces()
	mine := map[string]bool{}
	for i, ns := range spec.Namespaces {
		path := Path{"spec", "namespaces"}.Child(i)
		switch prev, taken := owners[ns.Name]; {
		case mine[ns.Name]:
			errorf(path.Child("name"), "namespace %q is listed twice", ns.Name)
		case taken:
			errorf(path.Child("name"), "namespace %q is already owned by %s", ns.Name, prev)
		case reserved[ns.Name] != "":
			errorf(path.Child("name"), "namespace %q is %s: tenants cannot own it", ns.Name, reserved[ns.Name])
		case strings.HasPrefix(ns.Name, "kube-"):
			errorf(path.Child("name"), "namespace %q is a Kubernetes system namespace: tenants cannot own kube-* namespaces", ns.Name)
		default:
			owners[ns.Name] = owned{t, path.Child("name")}
		}
		mine[ns.Name] = true
		if ns.Revision != spec.Revision && !c.knownRevision(ns.Revision) {
			errorf(path.Child("revision"), "unknown revision or tag %q (%s)", ns.Revision, c.revisionChoices())
		}
	}
	for i, o := range spec.Owners {
		path := Path{"spec", "owners"}.Child(i)
		switch {
		case o.Kind == "ServiceAccount" && o.Namespace == "":
			errorf(path, "a ServiceAccount owner needs its namespace")
		case o.Kind != "ServiceAccount" && o.Namespace != "":
			errorf(path.Child("namespace"), "a %s has no namespace: only ServiceAccount owners take one", o.Kind)
		}
	}
	c.checkServices(t, mine, hosts, errorf)
	c.checkEgress(t, mine, egressHosts, errorf)
}

func (c *checker) checkServices(t *Tenant, mine map[string]bool, hosts map[string]owned, errorf func(Path, string, ...any)) {
	mesh := c.mesh.Spec
	seen := map[string]bool{}
	for i, s := range t.Spec.Services {
		path := Path{"spec", "services"}.Child(i)
		if !mine[s.Namespace] {
			errorf(path.Child("namespace"), "namespace %q is not one of this tenant's namespaces (%s)", s.Namespace, namespaceList(t))
		}
		if key := s.Namespace + "/" + s.Name; seen[key] {
			errorf(path.Child("name"), "service %q is listed twice in namespace %q", s.Name, s.Namespace)
		} else {
			seen[key] = true
		}
		if s.Ingress == nil {
			if s.Authorization != nil {
				errorf(path.Child("authorization"), "authorization applies to requests through an ingress gateway: service %q has no ingress", s.Name)
			}
			continue
		}
		in := path.Child("ingress")
		if findGateway(mesh.Gateways.Ingress, s.Ingress.Gateway) == nil {
			errorf(in.Child("gateway"), "unknown ingress gateway %q (the Mesh defines: %s)", s.Ingress.Gateway, gatewayNames(mesh.Gateways.Ingress))
		}
		host := s.Ingress.Host
		switch prev, dup := hosts[host]; {
		case dup:
			errorf(in.Child("host"), "host %q is already exposed by %s", host, prev)
		case !strings.HasSuffix(host, "."+mesh.Domain):
			errorf(in.Child("host"), "host %q is outside the Mesh domain %q", host, mesh.Domain)
		default:
			hosts[host] = owned{t, in.Child("host")}
		}
		if s.Ingress.TLS != "NONE" && mesh.Certificates == nil {
			errorf(in.Child("tls"), "tls %s needs a certificate issuer: the Mesh has no spec.certificates", s.Ingress.TLS)
		}
		if s.Ingress.TLS == "MUTUAL" && mesh.Certificates != nil && mesh.Certificates.ClientCA == nil {
			c.warnf(t.Origin, "Tenant/"+t.Metadata.Name, in.Child("tls"), "tls MUTUAL without Mesh spec.certificates.clientCA: the %s-cacert secret must be provided by hand", s.CredentialName())
		}
		for j, r := range s.Ingress.Routes {
			if n := countSet(r.Exact, r.Prefix, r.Regex); n != 1 {
				errorf(in.Child("routes", j), "a route sets exactly one of exact, prefix, regex (this one sets %d)", n)
			}
		}
	}
}

func (c *checker) checkEgress(t *Tenant, mine map[string]bool, egressHosts map[string]owned, errorf func(Path, string, ...any)) {
	gws := c.mesh.Spec.Gateways.Egress
	seen := map[string]bool{}
	for i, e := range t.Spec.Egress {
		path := Path{"spec", "egress"}.Child(i)
		if !mine[e.Namespace] {
			errorf(path.Child("namespace"), "namespace %q is not one of this tenant's namespaces (%s)", e.Namespace, namespaceList(t))
		}
		if key := e.Namespace + "/" + e.Name; seen[key] {
			errorf(path.Child("name"), "egress %q is listed twice in namespace %q", e.Name, e.Namespace)
		} else {
			seen[key] = true
		}
		switch {
		case len(gws) == 0:
			errorf(path, "egress needs an egress gateway: the Mesh defines none in spec.gateways.egress")
		case findGateway(gws, e.Gateway) == nil:
			errorf(path.Child("gateway"), "unknown egress gateway %q (the Mesh defines: %s)", e.Gateway, gatewayNames(gws))
		}
		if e.TLS == "MUTUAL" && c.mesh.Spec.Certificates == nil {
			errorf(path.Child("tls"), "tls MUTUAL needs a client certificate issuer: the Mesh has no spec.certificates")
		}
		if prev, dup := egressHosts[e.Host]; dup {
			errorf(path.Child("host"), "egress to host %q is already defined by %s", e.Host, prev)
		} else {
			egressHosts[e.Host] = owned{t, path.Child("host")}
		}
	}
}

func findGateway(list []Gateway, name string) *Gateway {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func gatewayNames(list []Gateway) string {
	if len(list) == 0 {
		return "none"
	}
	names := make([]string, len(list))
	for i, g := range list {
		names[i] = g.Name
	}
	return strings.Join(names, ", ")
}

func namespaceList(t *Tenant) string {
	names := make([]string, len(t.Spec.Namespaces))
	for i, ns := range t.Spec.Namespaces {
		names[i] = ns.Name
	}
	return strings.Join(names, ", ")
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}
