package rules

import (
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// tenantChecker runs the rules of one Tenant.
type tenantChecker struct {
	*checker
	tenant *schema.Tenant
	mine   map[string]bool // the tenant's namespaces
}

func (c *tenantChecker) error(code schema.Code, path schema.Path, format string, args ...any) {
	c.checker.error(code, c.tenant.Origin, schema.KindTenant+"/"+c.tenant.Metadata.Name, path, format, args...)
}

func (c *checker) checkTenant(t *schema.Tenant) {
	tc := &tenantChecker{checker: c, tenant: t, mine: map[string]bool{}}
	name := schema.Path{"metadata", "name"}
	if prev, dup := c.claims.tenants.claim(t.Metadata.Name, t, name); dup {
		tc.conflict(schema.CodeDuplicateTenant, prev, name, t.Metadata.Name, "tenant %q is defined twice (first: %s)", "tenant %q is defined twice (again: %s)")
	}
	// a revision inherited from (or equal to) the Mesh's defaultRevision is
	// the Mesh's to answer for: reported there, not in every tenant
	if rev := t.Spec.Revision; rev != "" && rev != c.mesh.Spec.ControlPlane.DefaultRevision && !c.knownRevision(rev) {
		tc.error(schema.CodeUnknownRevision, schema.Path{"spec", "revision"}, "unknown revision or tag %q (%s)", rev, c.revisionChoices())
	}
	tc.checkNamespaces()
	tc.checkOwners()
	tc.checkServices()
	tc.checkEgress()
}

func (c *tenantChecker) checkNamespaces() {
	spec := c.tenant.Spec
	reserved := c.reservedNamespaces()
	for i, ns := range spec.Namespaces {
		path := schema.Path{"spec", "namespaces"}.Child(i)
		name := path.Child("name")
		prev, taken := c.claims.namespaces[ns.Name]
		switch {
		case c.mine[ns.Name]:
			c.error(schema.CodeDuplicateNamespace, name, "namespace %q is listed twice", ns.Name)
		case taken:
			c.conflict(schema.CodeNamespaceOwned, prev, name, ns.Name, "namespace %q is already owned by %s", "namespace %q is also claimed by %s")
		case reserved[ns.Name] != "":
			c.error(schema.CodeReservedNamespace, name, "namespace %q is %s: tenants cannot own it", ns.Name, reserved[ns.Name])
		case strings.HasPrefix(ns.Name, "kube-"):
			c.error(schema.CodeReservedNamespace, name, "namespace %q is a Kubernetes system namespace: tenants cannot own kube-* namespaces", ns.Name)
		default:
			c.claims.namespaces[ns.Name] = claim{c.tenant, name}
		}
		c.mine[ns.Name] = true
		if ns.Revision != spec.Revision && !c.knownRevision(ns.Revision) {
			c.error(schema.CodeUnknownRevision, path.Child("revision"), "unknown revision or tag %q (%s)", ns.Revision, c.revisionChoices())
		}
		// an ambient Mesh without the CNI is the Mesh's to answer for
		if mesh := c.mesh.Spec; ns.Dataplane == schema.DataplaneAmbient && mesh.Dataplane != schema.DataplaneAmbient && !mesh.ControlPlane.CNI.Enabled {
			c.error(schema.CodeAmbientWithoutCNI, path.Child("dataplane"), "namespace %q is ambient, which needs the Istio CNI: the Mesh sets spec.controlPlane.cni.enabled: false", ns.Name)
		}
	}
}

func (c *tenantChecker) checkOwners() {
	for i, o := range c.tenant.Spec.Owners {
		path := schema.Path{"spec", "owners"}.Child(i)
		switch {
		case o.Kind == schema.OwnerServiceAccount && o.Namespace == "":
			c.error(schema.CodeOwnerNamespace, path, "a ServiceAccount owner needs its namespace")
		case o.Kind != schema.OwnerServiceAccount && o.Namespace != "":
			c.error(schema.CodeOwnerNamespace, path.Child("namespace"), "a %s has no namespace: only ServiceAccount owners take one", o.Kind)
		}
	}
}

// conflict reports a second claim on something unique at both places: at
// path, naming the first claim (here), and at the first claim, naming this
// one (there), so the conflict shows in whichever file a change touched.
// The formats take the claimed value and the other place.
func (c *tenantChecker) conflict(code schema.Code, first claim, path schema.Path, value, here, there string) {
	c.error(code, path, here, value, first)
	second := claim{c.tenant, path}
	c.checker.error(code, first.tenant.Origin, schema.KindTenant+"/"+first.tenant.Metadata.Name, first.path, there, value, second)
}

// checkEntry refuses a service or egress entry (what) in a namespace the
// tenant does not list, or listed twice in its namespace; seen holds the
// entries of that kind so far.
func (c *tenantChecker) checkEntry(path schema.Path, what, ns, name string, seen map[string]bool) {
	if !c.mine[ns] {
		c.error(schema.CodeForeignNamespace, path.Child("namespace"), "namespace %q is not one of this tenant's namespaces (%s)", ns, c.namespaceList())
	}
	if key := ns + "/" + name; seen[key] {
		c.error(schema.CodeDuplicateEntry, path.Child("name"), "%s %q is listed twice in namespace %q", what, name, ns)
	} else {
		seen[key] = true
	}
}

func (c *tenantChecker) namespaceList() string { return namespaceNames(c.tenant) }

// namespaceNames lists a tenant's namespaces for a message.
func namespaceNames(t *schema.Tenant) string {
	names := make([]string, len(t.Spec.Namespaces))
	for i, ns := range t.Spec.Namespaces {
		names[i] = ns.Name
	}
	return strings.Join(names, ", ")
}
