package schema

// Code identifies one kind of problem for good, as istioctl's IST0101 does:
// scripts and documentation may rely on it. A released code never changes
// its meaning; a new kind of problem gets a new code. The reference page
// docs/diagnostics.md is generated from Codes.
type Code string

// CodeInfo documents a code: what it means and how to fix it.
type CodeInfo struct {
	Code     Code
	Name     string // short kebab-case name, stable like the code
	Severity Severity
	Meaning  string
	Fix      string
}

// Input files and YAML.
const (
	CodeInvalidYAML        Code = "MW0001"
	CodeInvalidUTF8        Code = "MW0002"
	CodeNotAMapping        Code = "MW0003"
	CodeDocumentTooLarge   Code = "MW0004"
	CodeAliasCycle         Code = "MW0005"
	CodeUnsupportedKey     Code = "MW0006"
	CodeDuplicateKey       Code = "MW0007"
	CodeIntegerOutOfRange  Code = "MW0008"
	CodeForeignDocument    Code = "MW0009"
	CodeUnsupportedVersion Code = "MW0010"
	CodeUnknownKind        Code = "MW0011"
	CodeNoMesh             Code = "MW0012"
	CodeSecondMesh         Code = "MW0013"
)

// The CUE schema.
const (
	CodeUnknownField  Code = "MW0100"
	CodeRequiredField Code = "MW0101"
	CodeWrongType     Code = "MW0102"
	CodeNotAllowed    Code = "MW0103"
	CodeInvalidFormat Code = "MW0104"
	CodeOutOfRange    Code = "MW0105"
	CodeEmpty         Code = "MW0106"
	CodeTooLong       Code = "MW0107"
	CodeSchema        Code = "MW0108"
)

// Rules of the Mesh.
const (
	CodeDuplicateVersion      Code = "MW0200"
	CodeDuplicateRevision     Code = "MW0201"
	CodeTagNamedLikeRevision  Code = "MW0202"
	CodeUnknownRevision       Code = "MW0203"
	CodeInvalidCIDR           Code = "MW0204"
	CodeCertificateTooShort   Code = "MW0205"
	CodeRenewAfterExpiry      Code = "MW0206"
	CodeDuplicateGateway      Code = "MW0207"
	CodeRequireJWTNoProvider  Code = "MW0208"
	CodeMutualWithoutClientCA Code = "MW0209"
	CodeGatewayNameTooLong    Code = "MW0210"
	CodeAmbientWithoutCNI     Code = "MW0211"
	CodeNoChartRepository     Code = "MW0212"
	CodeReleaseNameTooLong    Code = "MW0213"
)

// Rules of the Tenants.
const (
	CodeDuplicateTenant      Code = "MW0300"
	CodeDuplicateNamespace   Code = "MW0301"
	CodeNamespaceOwned       Code = "MW0302"
	CodeReservedNamespace    Code = "MW0303"
	CodeOwnerNamespace       Code = "MW0304"
	CodeForeignNamespace     Code = "MW0305"
	CodeDuplicateEntry       Code = "MW0306"
	CodeAuthorizationNoEdge  Code = "MW0307"
	CodeUnknownGateway       Code = "MW0308"
	CodeNoEgressGateway      Code = "MW0309"
	CodeHostTaken            Code = "MW0310"
	CodeHostOutsideDomain    Code = "MW0311"
	CodeTLSWithoutIssuer     Code = "MW0312"
	CodeRouteMatch           Code = "MW0313"
	CodeEgressHostTaken      Code = "MW0314"
	CodeUnknownCaller        Code = "MW0315"
	CodeCallerNamespace      Code = "MW0316"
	CodeMutualOnGatewayAPI   Code = "MW0317"
	CodeEgressOnGatewayAPI   Code = "MW0318"
	CodeRegistryOnlyAmbient  Code = "MW0319"
	CodeClusterEgressAmbient Code = "MW0320"
	CodeRenderedNameConflict Code = "MW0400"
	CodeUnknownShardTenant   Code = "MW0500"
)

// Codes documents every code, in the order of the reference page.
var Codes = []CodeInfo{
	{CodeInvalidYAML, "invalid-yaml", SeverityError, "A file is not valid YAML; the rest of that file is not read (YAML cannot resynchronise after a syntax error).", "Fix the syntax at the position given; indent with spaces, never tabs."},
	{CodeInvalidUTF8, "invalid-utf8", SeverityError, "A file or a value is not valid UTF-8.", "Save the file as UTF-8."},
	{CodeNotAMapping, "not-a-mapping", SeverityError, "A document is a list or a scalar, not a mapping with apiVersion and kind.", "Make every document a Mesh or a Tenant object."},
	{CodeDocumentTooLarge, "document-too-large", SeverityError, "A document expands (through aliases) to more than 1,048,576 values, or nests deeper than 64 levels.", "Write the document out without alias chains; no real spec comes near the limits."},
	{CodeAliasCycle, "alias-cycle", SeverityError, "A YAML alias refers to the node that contains it.", "Remove the alias or point it at another anchor."},
	{CodeUnsupportedKey, "unsupported-key", SeverityError, "A mapping key is not a scalar, or is a merge key (<<), which Kubernetes' YAML reader does not support either.", "Write the keys out."},
	{CodeDuplicateKey, "duplicate-key", SeverityError, "A mapping has the same key twice; YAML forbids it and one value would be lost.", "Keep one of the two; the message names the line of the first."},
	{CodeIntegerOutOfRange, "integer-out-of-range", SeverityError, "An integer does not fit 64 bits.", "Use a value in range."},
	{CodeForeignDocument, "foreign-document", SeverityWarning, "A document is not a meshwright.dev Mesh or Tenant; it is skipped, so a spec directory may hold other manifests.", "Nothing, if the document is meant for something else; otherwise fix its apiVersion."},
	{CodeUnsupportedVersion, "unsupported-version", SeverityError, "A meshwright.dev document has an apiVersion this meshwright does not read.", "Use meshwright.dev/v1alpha1."},
	{CodeUnknownKind, "unknown-kind", SeverityError, "A meshwright.dev document is neither a Mesh nor a Tenant.", "Use kind Mesh or Tenant."},
	{CodeNoMesh, "no-mesh", SeverityError, "The inputs hold no Mesh; a render needs exactly one.", "Add the Mesh file to the inputs."},
	{CodeSecondMesh, "second-mesh", SeverityError, "The inputs hold more than one Mesh.", "Render each cluster's Mesh separately."},

	{CodeUnknownField, "unknown-field", SeverityError, "A field the schema does not define; unknown fields are refused, never dropped.", "Check the spelling against docs/api.md."},
	{CodeRequiredField, "required-field", SeverityError, "A required field is missing.", "Add the field."},
	{CodeWrongType, "wrong-type", SeverityError, "A value has the wrong type, for example a number where a string is expected.", "Quote numbers meant as strings (\"1.30\"); give lists and mappings where they are expected."},
	{CodeNotAllowed, "value-not-allowed", SeverityError, "A value is not one of those the field accepts.", "Use one of the values the message lists; enumerations are case-sensitive."},
	{CodeInvalidFormat, "invalid-format", SeverityError, "A string does not have the required form (DNS name, version, duration, URL, CIDR...).", "Write the value in the form the message describes."},
	{CodeOutOfRange, "out-of-range", SeverityError, "A number is outside the field's bounds (ports, percentages, replica counts).", "Use a value within the bounds the message gives."},
	{CodeEmpty, "empty", SeverityError, "A string or list that must not be empty is empty.", "Give a value, or leave the field out to take its default."},
	{CodeTooLong, "too-long", SeverityError, "A string is longer than its field allows (names that end up in labels).", "Shorten the value."},
	{CodeSchema, "schema", SeverityError, "Another constraint of the CUE schema failed.", "Read the message; report it as a bug if it is not clear."},

	{CodeDuplicateVersion, "duplicate-version", SeverityError, "Two revisions install the same Istio version.", "List each version once."},
	{CodeDuplicateRevision, "duplicate-revision", SeverityError, "Two revisions have the same name.", "Name each revision once."},
	{CodeTagNamedLikeRevision, "tag-named-like-revision", SeverityError, "A revision tag has a revision's name, so istio.io/rev would be ambiguous.", "Rename the tag."},
	{CodeUnknownRevision, "unknown-revision", SeverityError, "A tag, defaultRevision, gatewayRevision or a tenant's revision names no revision or tag of the Mesh.", "Use one of the revisions or tags the message lists."},
	{CodeInvalidCIDR, "invalid-cidr", SeverityError, "A jwksBlockedCIDRs entry is not a network in CIDR notation.", "Write it as address/prefix, e.g. 169.254.0.0/16."},
	{CodeCertificateTooShort, "certificate-too-short", SeverityError, "certificates.duration is under one hour, which cert-manager refuses.", "Use a duration of at least 1h."},
	{CodeRenewAfterExpiry, "renew-after-expiry", SeverityError, "certificates.renewBefore is not shorter than duration, so certificates would renew forever.", "Make renewBefore shorter than duration."},
	{CodeDuplicateGateway, "duplicate-gateway", SeverityError, "Two gateways (ingress or egress) have the same name.", "Name each gateway once."},
	{CodeRequireJWTNoProvider, "require-jwt-without-provider", SeverityError, "A gateway requires a JWT but the Mesh has no provider in security.jwt, so every request would be denied.", "Add a provider or drop requireJWT."},
	{CodeMutualWithoutClientCA, "mutual-without-client-ca", SeverityWarning, "A MUTUAL service is exposed but the Mesh has no certificates.clientCA, so its <credentialName>-cacert Secret is not rendered.", "Set certificates.clientCA, or create the Secret by hand."},
	{CodeGatewayNameTooLong, "gateway-name-too-long", SeverityError, "A gateway-api gateway's name is longer than 57 characters: istiod names its Deployment, Service and ServiceAccount <name>-istio, which must fit a 63-character DNS label.", "Shorten the gateway's name."},
	{CodeNoChartRepository, "chart-repository-required", SeverityError, "controlPlane.install is argocd or flux, which install Istio's Helm charts, but controlPlane.chartRepository does not say where they come from.", "Set chartRepository to the OCI registry (oci://...) or Helm repository (https://...) that serves Istio's charts."},
	{CodeReleaseNameTooLong, "release-name-too-long", SeverityError, "With install argocd or flux, a Helm release name is longer than Helm's 53 characters: istiod-<revision name> for a revision, <name> for an Istio-API gateway.", "Shorten the revision's name or the gateway's name."},
	{CodeAmbientWithoutCNI, "ambient-without-cni", SeverityError, "The Mesh, or a tenant's namespace, is ambient but the Mesh disables the Istio CNI, which redirects ambient pods' traffic to ztunnel.", "Enable spec.controlPlane.cni, or keep the namespaces on dataplane sidecar."},

	{CodeDuplicateTenant, "duplicate-tenant", SeverityError, "Two Tenants have the same name.", "Rename one of them."},
	{CodeDuplicateNamespace, "duplicate-namespace", SeverityError, "A tenant lists a namespace twice.", "List it once."},
	{CodeNamespaceOwned, "namespace-owned", SeverityError, "A namespace is already owned by another tenant.", "Each namespace belongs to one tenant; pick another name."},
	{CodeReservedNamespace, "reserved-namespace", SeverityError, "A tenant claims the control-plane, CNI, a gateway's, cert-manager's or a kube-* namespace.", "Use a namespace of the tenant's own."},
	{CodeOwnerNamespace, "owner-namespace", SeverityError, "A ServiceAccount owner lacks its namespace, or a Group or User owner has one.", "Give ServiceAccount owners a namespace, and only them."},
	{CodeForeignNamespace, "foreign-namespace", SeverityError, "A service or egress entry is in a namespace its tenant does not list.", "Add the namespace to the tenant, or move the entry."},
	{CodeDuplicateEntry, "duplicate-entry", SeverityError, "A service or egress entry is listed twice in one namespace.", "List it once."},
	{CodeAuthorizationNoEdge, "authorization-without-ingress", SeverityError, "A service has authorization claims but no ingress; the claims apply to requests through an ingress gateway.", "Expose the service, or drop authorization."},
	{CodeUnknownGateway, "unknown-gateway", SeverityError, "A service or egress entry names a gateway the Mesh does not define.", "Use one of the gateways the message lists."},
	{CodeNoEgressGateway, "no-egress-gateway", SeverityError, "A tenant has egress entries but the Mesh defines no egress gateway.", "Add one to the Mesh's gateways.egress."},
	{CodeHostTaken, "host-taken", SeverityError, "Two services (in any tenants) expose the same host.", "Give each service its own host."},
	{CodeHostOutsideDomain, "host-outside-domain", SeverityError, "An exposed host is not under the Mesh's domain.", "Use a host ending in .<domain>."},
	{CodeTLSWithoutIssuer, "tls-without-issuer", SeverityError, "A service or egress entry needs a certificate but the Mesh has no certificates issuer.", "Add certificates to the Mesh, or use tls NONE (ingress) or SIMPLE (egress)."},
	{CodeRouteMatch, "route-match", SeverityError, "A route sets none or several of exact, prefix, regex.", "Set exactly one."},
	{CodeEgressHostTaken, "egress-host-taken", SeverityError, "Two egress entries (in any tenants) reach the same host.", "Keep one entry per host."},
	{CodeUnknownCaller, "unknown-caller", SeverityError, "A service's caller names a tenant that does not exist.", "Name an existing Tenant (metadata.name), or remove the caller."},
	{CodeCallerNamespace, "caller-namespace-not-owned", SeverityError, "A service's caller lists a namespace its tenant does not own.", "List only namespaces of the caller tenant, or leave namespaces out for all of them."},
	{CodeMutualOnGatewayAPI, "mutual-on-gateway-api", SeverityError, "A service with tls MUTUAL is exposed on a gateway-api gateway. Gateway API (standard channel) validates client certificates per Gateway or per port (spec.tls.frontend), not per listener, so one tenant's client CA would apply to every tenant's hosts on the shared Gateway.", "Expose the service on an api: istio gateway, or use tls SIMPLE."},
	{CodeEgressOnGatewayAPI, "egress-not-expressible-on-gateway-api", SeverityError, "An egress entry uses a gateway-api egress gateway for what its objects in the tenant's namespace cannot express: tls MUTUAL (the gateway reads an origination's client certificate only from its own namespace) or location cluster (the gateway reads the origination rule of an in-cluster host only from its own namespace or the host's).", "Use an api: istio egress gateway for this entry, or tls SIMPLE to an external host."},
	{CodeRegistryOnlyAmbient, "registry-only-not-enforced-in-ambient", SeverityWarning, "The Mesh's outboundTrafficPolicy is REGISTRY_ONLY, but a tenant namespace is ambient: ztunnel forwards connections to any address, and a waypoint carries only the traffic of registered services, so workloads there can reach unregistered hosts.", "Restrict egress of ambient namespaces with NetworkPolicy egress rules or an egress firewall; or keep the namespace on sidecars."},
	{CodeClusterEgressAmbient, "in-cluster-egress-from-ambient", SeverityError, "An egress entry to an in-cluster host (location cluster) leaves from an ambient namespace: its route to the egress gateway would be a mesh VirtualService on the host's Service, which waypoints apply only on the host's side and ztunnel never, so the traffic would skip the egress gateway.", "Move the entry to a sidecar namespace, or call the Service directly as a caller."},
	{CodeRenderedNameConflict, "rendered-name-conflict", SeverityError, "Two inputs would render the same object (kind, namespace, name).", "Rename one of the two inputs the message names."},
	{CodeUnknownShardTenant, "unknown-shard-tenant", SeverityError, "A shard (render --tenants, or the function's tenants setting) names a tenant the inputs do not define; it would render nothing for it.", "Name a Tenant of the inputs (metadata.name), or pass every input file to the render."},
}
