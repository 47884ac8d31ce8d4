package cueschema

import (
	"fmt"
	"go/ast"
	goparser "go/parser"
	gotoken "go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	cueast "cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/literal"
	cueparser "cuelang.org/go/cue/parser"
	cuetoken "cuelang.org/go/cue/token"
	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshwright/meshwright/internal/testspec"
	"github.com/meshwright/meshwright/schema"
)

// These tests tie messages.go to the .cue files and to CUE's wording: a CUE
// upgrade that rewords an error, or a schema change that adds a pattern,
// bound or builtin messages.go does not know, fails here instead of
// degrading what users read.

// schemaConstraints is what the embedded .cue files constrain values with,
// as messages.go has to know it.
type schemaConstraints struct {
	patterns []string            // =~ regular expressions, unquoted
	ops      map[string][]string // other comparison operators -> where
	calls    map[string][]string // builtin calls, e.g. strings.MinRunes(1) -> where
}

func readSchemaConstraints(t *testing.T) schemaConstraints {
	t.Helper()
	entries, err := cueFiles.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	sc := schemaConstraints{ops: map[string][]string{}, calls: map[string][]string{}}
	for _, e := range entries {
		src, err := cueFiles.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		f, err := cueparser.ParseFile(e.Name(), src)
		if err != nil {
			t.Fatal(err)
		}
		cueast.Walk(f, func(n cueast.Node) bool {
			switch n := n.(type) {
			case *cueast.UnaryExpr:
				sc.constraint(t, n.Op, n.X)
			case *cueast.BinaryExpr:
				sc.constraint(t, n.Op, n.Y)
			case *cueast.CallExpr:
				if sel, ok := n.Fun.(*cueast.SelectorExpr); ok {
					var args []string
					for _, a := range n.Args {
						lit, ok := a.(*cueast.BasicLit)
						if !ok {
							args = append(args, "?")
							continue
						}
						args = append(args, lit.Value)
					}
					name := fmt.Sprintf("%s.%s", sel.X, sel.Sel)
					sc.calls[name+"("+strings.Join(args, ", ")+")"] = append(sc.calls[name], n.Pos().String())
				}
			}
			return true
		}, nil)
	}
	return sc
}

func (sc *schemaConstraints) constraint(t *testing.T, op cuetoken.Token, x cueast.Expr) {
	t.Helper()
	switch op {
	case cuetoken.MAT:
		lit, ok := x.(*cueast.BasicLit)
		if !ok || lit.Kind != cuetoken.STRING {
			t.Errorf("%s: =~ with a computed pattern: messages.go can only name literal patterns", x.Pos())
			return
		}
		re, err := literal.Unquote(lit.Value)
		if err != nil {
			t.Fatalf("%s: %v", x.Pos(), err)
		}
		sc.patterns = append(sc.patterns, re)
	case cuetoken.NMAT, cuetoken.NEQ, cuetoken.GEQ, cuetoken.LEQ, cuetoken.GTR, cuetoken.LSS:
		sc.ops[op.String()] = append(sc.ops[op.String()], x.Pos().String())
	}
}

// TestPatternNamesMatchSchema: every =~ of the .cue files has words in
// patternNames, and patternNames holds nothing the schema no longer uses.
func TestPatternNamesMatchSchema(t *testing.T) {
	sc := readSchemaConstraints(t)
	if len(sc.patterns) < 5 {
		t.Fatalf("found only %d patterns in the .cue files: the scan is broken", len(sc.patterns))
	}
	used := map[string]bool{}
	for _, re := range sc.patterns {
		used[re] = true
		if _, ok := patternNames[re]; !ok {
			t.Errorf("pattern %q of the .cue files has no entry in patternNames: users would read CUE's regex", re)
		}
	}
	for re := range patternNames {
		if !used[re] {
			t.Errorf("patternNames has %q, which no .cue file uses (changed or removed?)", re)
		}
	}
}

// TestSchemaOperatorsAndBuiltinsAreExplained: every bound operator and
// builtin validator of the .cue files has a rewrite in humanize.
func TestSchemaOperatorsAndBuiltinsAreExplained(t *testing.T) {
	sc := readSchemaConstraints(t)
	for op, where := range sc.ops {
		if !slices.ContainsFunc(boundWords, func(b struct{ op, words string }) bool { return b.op == op }) {
			t.Errorf("operator %s (at %s) has no words in boundWords", op, strings.Join(where, ", "))
		}
	}
	// strings functions computing defaults never fail on user input;
	// validators need a rewrite in humanize.
	functions := []string{"strings.Replace", "strings.TrimPrefix", "strings.HasSuffix"}
	for call, where := range sc.calls {
		name, _, _ := strings.Cut(call, "(")
		switch {
		case slices.Contains(functions, name):
		case call == "strings.MinRunes(1)":
			// "must not be empty"
		case name == "strings.MaxRunes":
			// "must be at most N characters"
		default:
			t.Errorf("%s (at %s): humanize has no rewrite for it (a MinRunes above 1 would be reported as \"must not be empty\" wrongly, so it is refused too)", call, strings.Join(where, ", "))
		}
	}
}

// testSchema exercises rewrites the real schema does not use (> and <
// bounds) and the fallbacks for constraints messages.go does not know,
// through the real Validator and real CUE errors.
const testSchema = `
import "strings"

#Test: close({
	above?:   int & >0
	below?:   int & <10
	minTwo?:  strings.MinRunes(2)
	notA?:    !="a"
	unnamed?: =~"^x+$"
})
`

// certificates is a valid spec.certificates block for patches to change.
const certificates = `
spec:
  certificates:
    issuer:
      vault: {server: "https://vault.example.com", path: pki/sign/mesh, role: mesh}
`

// TestMessages feeds one small document per rewrite rule of messages.go
// through the real Validator and checks every diagnostic it returns: path,
// code and the exact text.
func TestMessages(t *testing.T) {
	long := strings.Repeat("a", 70)
	cases := []struct {
		name  string
		kind  string // Mesh, Tenant, or Test (testSchema)
		patch string // YAML merged into the base document; (delete) removes a key
		// pattern names the patternNames entry the case exercises
		pattern string
		want    []string // "path: message [code]", in any order
	}{
		{name: "valid Mesh passes", kind: "Mesh"},
		{name: "valid Tenant passes", kind: "Tenant"},
		{name: "valid Mesh with certificates passes", kind: "Mesh", patch: certificates},

		// unknown and missing fields
		{name: "unknown field", kind: "Mesh", patch: "spec: {domian: example.org}",
			want: []string{"spec.domian: field not allowed [MW0100]"}},
		{name: "unknown field in a list element", kind: "Tenant", patch: "spec: {namespaces: [{name: shop, allowSameNamespaces: true}]}",
			want: []string{"spec.namespaces[0].allowSameNamespaces: field not allowed [MW0100]"}},
		{name: "required field missing", kind: "Mesh", patch: "spec: {domain: (delete)}",
			want: []string{"spec.domain: field is required but not present [MW0101]"}},
		{name: "required field missing next to another error", kind: "Tenant", patch: "spec: {namespaces: [{name: shop}], services: [{name: web, portt: 80}]}",
			want: []string{
				"spec.services[0].port: field is required but not present [MW0101]",
				"spec.services[0].portt: field not allowed [MW0100]",
			}},

		// wrong types
		{name: "wrong type", kind: "Mesh", patch: "spec: {networkPolicy: {denyByDefault: \"yes\"}}",
			want: []string{`spec.networkPolicy.denyByDefault: expected bool, got string "yes" [MW0102]`}},
		{name: "wrong type: float for string hints at quoting", kind: "Mesh", patch: "spec: {kubernetesVersion: 1.30}",
			want: []string{"spec.kubernetesVersion: expected string, got float 1.3 (quote it to make it a string) [MW0102]"}},
		{name: "wrong type: int for string hints at quoting", kind: "Mesh", patch: "metadata: {labels: {team: 42}}",
			want: []string{"metadata.labels.team: expected string, got int 42 (quote it to make it a string) [MW0102]"}},
		{name: "wrong type: bool for string hints at quoting", kind: "Mesh", patch: "metadata: {labels: {team: true}}",
			want: []string{"metadata.labels.team: expected string, got bool true (quote it to make it a string) [MW0102]"}},
		{name: "wrong type: string for int has no hint", kind: "Tenant", patch: `spec: {services: [{name: web, port: "80"}]}`,
			want: []string{`spec.services[0].port: expected int, got string "80" [MW0102]`}},
		{name: "wrong type: null for a struct", kind: "Mesh", patch: "spec: {controlPlane: null}",
			want: []string{"spec.controlPlane: expected struct, got null (the key has no value: give its fields, or {} for the defaults) [MW0102]"}},
		{name: "wrong type: null for a list", kind: "Tenant", patch: "spec: {services: null}",
			want: []string{"spec.services: expected list, got null (the key has no value: give its items, or [] for none) [MW0102]"}},
		{name: "empty ingress beside other errors of its service", kind: "Tenant",
			patch: "spec: {services: [{name: Web, port: 80, ingress: null, bogus: 1}]}",
			want: []string{
				"spec.services[0].name: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (got \"Web\") [MW0104]",
				"spec.services[0].ingress: expected struct, got null (the key has no value: give its fields, or {} for the defaults) [MW0102]",
				"spec.services[0].bogus: field not allowed [MW0100]",
			}},
		{name: "unknown field beside another error of its struct", kind: "Mesh",
			patch: "spec: {domain: Example, domian: example.com}",
			want: []string{
				"spec.domain: must be a fully qualified host name (contain a dot) (got \"Example\") [MW0104]",
				"spec.domian: field not allowed [MW0100]",
			}},
		{name: "wrong type: every type of a disjunction is named", kind: "Mesh", patch: "spec: {controlPlane: {pilot: {resources: {limits: {cpu: true}}}}}",
			want: []string{"spec.controlPlane.pilot.resources.limits.cpu: expected int or string, got bool true [MW0102]"}},

		// enumerations and fixed values
		{name: "caller service account that is not a DNS label", kind: "Tenant",
			patch: "spec: {services: [{name: web, port: 80, callers: [{tenant: shop, serviceAccounts: [Web_SA]}]}]}",
			want:  []string{"spec.services[0].callers[0].serviceAccounts[0]: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (got \"Web_SA\") [MW0104]"}},
		{name: "enum value without a near miss", kind: "Mesh", patch: "spec: {security: {mtls: OFF}}",
			want: []string{`spec.security.mtls: must be one of "PERMISSIVE", "STRICT" (got "OFF") [MW0103]`}},
		{name: "enum value not allowed", kind: "Mesh", patch: "spec: {security: {mtls: strict}}",
			want: []string{`spec.security.mtls: must be one of "PERMISSIVE", "STRICT" (got "strict"): did you mean "STRICT"? [MW0103]`}},
		{name: "enum value not allowed in a list element", kind: "Tenant", patch: "spec: {owners: [{kind: Robot, name: r2d2}]}",
			want: []string{`spec.owners[0].kind: must be one of "Group", "ServiceAccount", "User" (got "Robot") [MW0103]`}},
		{name: "single allowed value", kind: "Mesh", patch: "apiVersion: meshwright.dev/v1beta1",
			want: []string{`apiVersion: must be "meshwright.dev/v1alpha1" (got "meshwright.dev/v1beta1") [MW0103]`}},

		// patterns, one per patternNames entry
		{name: "pattern: DNS-1123 label", kind: "Mesh", patch: "metadata: {name: Book_Info}", pattern: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`,
			want: []string{`metadata.name: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (got "Book_Info") [MW0104]`}},
		{name: "pattern: DNS-1123 subdomain", kind: "Mesh", patch: "spec: {trustDomain: Cluster.Local}", pattern: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`,
			want: []string{`spec.trustDomain: must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', no wildcards (got "Cluster.Local") [MW0104]`}},
		{name: "pattern: fully qualified host", kind: "Mesh", patch: "spec: {domain: localhost}", pattern: `\.`,
			want: []string{`spec.domain: must be a fully qualified host name (contain a dot) (got "localhost") [MW0104]`}},
		{name: "pattern: Kubernetes MAJOR.MINOR", kind: "Mesh", patch: `spec: {kubernetesVersion: "v1.30"}`, pattern: `^1\.[0-9]{1,3}$`,
			want: []string{`spec.kubernetesVersion: must be MAJOR.MINOR, e.g. "1.30" (quote it: 1.30 unquoted is the number 1.3) (got "v1.30") [MW0104]`}},
		{name: "pattern: semantic version", kind: "Mesh", patch: `spec: {controlPlane: {revisions: [{version: "1.30"}]}}`, pattern: `^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`,
			want: []string{`spec.controlPlane.revisions[0].version: must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.30.2 (got "1.30") [MW0104]`}},
		{name: "pattern: duration", kind: "Mesh", patch: "spec: {certificates: {duration: 90 days, issuer: {vault: {server: \"https://vault.example.com\", path: pki/sign/mesh, role: mesh}}}}", pattern: `^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$`,
			want: []string{`spec.certificates.duration: must be a duration such as 2160h or 90m (got "90 days") [MW0104]`}},
		{name: "pattern: http(s) URL", kind: "Mesh", patch: `spec: {security: {jwt: [{issuer: me, jwksUri: "ftp://keys.example.com"}]}}`, pattern: `^https?://`,
			want: []string{`spec.security.jwt[0].jwksUri: must be an http:// or https:// URL (got "ftp://keys.example.com") [MW0104]`}},
		{name: "pattern: chart repository URL", kind: "Mesh", patch: `spec: {controlPlane: {install: flux, chartRepository: "harbor.example.com/istio"}}`, pattern: `^(oci|https?)://[^\s]+$`,
			want: []string{`spec.controlPlane.chartRepository: must be an OCI registry (oci://host/path) or Helm repository (https://...) URL without spaces (got "harbor.example.com/istio") [MW0104]`}},
		{name: "pattern: absolute path", kind: "Mesh", patch: "spec: {certificates: {issuer: {vault: {server: \"https://vault.example.com\", path: pki/sign/mesh, role: mesh, mountPath: v1/auth/kubernetes}}}}", pattern: `^/`,
			want: []string{`spec.certificates.issuer.vault.mountPath: must be an absolute path (got "v1/auth/kubernetes") [MW0104]`}},
		{name: "pattern: CIDR", kind: "Mesh", patch: `spec: {security: {jwksBlockedCIDRs: ["10.0.0.0"]}}`, pattern: `^[0-9a-fA-F:.]+/[0-9]{1,3}$`,
			want: []string{`spec.security.jwksBlockedCIDRs[0]: must be a network in CIDR notation, e.g. 10.0.0.0/8 (got "10.0.0.0") [MW0104]`}},
		{name: "pattern: image hub", kind: "Mesh", patch: "spec: {controlPlane: {hub: Registry.example.com/istio}}", pattern: `^[a-z0-9]([-a-z0-9._:]*[a-z0-9])?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$`,
			want: []string{`spec.controlPlane.hub: must be an image registry and path such as registry.example.com/istio: lowercase letters, digits, '-', '.' and '_', a :port, path segments separated by '/' (got "Registry.example.com/istio") [MW0104]`}},
		{name: "pattern: quantity (the int alternative's type is not reported)", kind: "Mesh", patch: "spec: {controlPlane: {pilot: {resources: {limits: {memory: 1GB}}}}}", pattern: `^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$`,
			want: []string{`spec.controlPlane.pilot.resources.limits.memory: must be a Kubernetes quantity such as 500m, 128Mi or 2 (got "1GB") [MW0104]`}},
		{name: "pattern without a name falls back to CUE's text", kind: "Test", patch: "unnamed: y",
			want: []string{`unnamed: invalid value "y" (out of bound =~"^x+$") [MW0104]`}},

		// bounds
		{name: "bound >=", kind: "Tenant", patch: "spec: {services: [{name: web, port: 0}]}",
			want: []string{"spec.services[0].port: must be at least 1 (got 0) [MW0105]"}},
		{name: "bound <=", kind: "Tenant", patch: "spec: {services: [{name: web, port: 70000}]}",
			want: []string{"spec.services[0].port: must be at most 65535 (got 70000) [MW0105]"}},
		{name: "bound >= another field", kind: "Mesh", patch: "spec: {gateways: {ingress: [{name: edge, autoscale: {min: 3, max: 2}}]}}",
			want: []string{"spec.gateways.ingress[0].autoscale.max: must be at least 3 (got 2) [MW0105]"}},
		{name: "bound of a number disjunction (the string alternative's type is not reported)", kind: "Mesh", patch: "spec: {controlPlane: {pilot: {resources: {requests: {cpu: -1}}}}}",
			want: []string{"spec.controlPlane.pilot.resources.requests.cpu: must be at least 0 (got -1) [MW0105]"}},
		{name: "bound >", kind: "Test", patch: "above: 0",
			want: []string{"above: must be greater than 0 (got 0) [MW0105]"}},
		{name: "bound <", kind: "Test", patch: "below: 10",
			want: []string{"below: must be less than 10 (got 10) [MW0105]"}},

		// lengths
		{name: "MinRunes: empty string", kind: "Tenant", patch: `spec: {owners: [{kind: User, name: ""}]}`,
			want: []string{"spec.owners[0].name: must not be empty [MW0106]"}},
		{name: "MinRunes: empty string also failing a pattern", kind: "Mesh", patch: `spec: {controlPlane: {hub: ""}}`,
			want: []string{"spec.controlPlane.hub: must not be empty [MW0106]"}},
		{name: "MaxRunes: too long, value shortened", kind: "Tenant", patch: "spec: {namespaces: [{name: " + long + "}]}",
			want: []string{`spec.namespaces[0].name: must be at most 63 characters (got "` + long[:59] + `...) [MW0107]`}},
		{name: "empty list", kind: "Tenant", patch: "spec: {namespaces: []}",
			want: []string{"spec.namespaces: must list at least one item [MW0106]"}},
		{name: "empty list of a Mesh", kind: "Mesh", patch: "spec: {controlPlane: {revisions: []}}",
			want: []string{"spec.controlPlane.revisions: must list at least one item [MW0106]"}},

		// noise of a default list is not reported
		{name: "egress gateway error without the default list's complaint", kind: "Mesh", patch: "spec: {gateways: {egress: [{name: egress, service: {type: External}}]}}",
			want: []string{`spec.gateways.egress[0].service.type: must be one of "ClusterIP", "LoadBalancer", "NodePort" (got "External") [MW0103]`}},
		{name: "second route's error without the default list's complaint", kind: "Tenant", patch: `spec: {services: [{name: web, port: 80, ingress: {routes: [{prefix: /}, {prefix: ""}]}}]}`,
			want: []string{"spec.services[0].ingress.routes[1].prefix: must not be empty [MW0106]"}},

		// fallbacks: CUE's own text, code MW0108
		{name: "fallback: unknown builtin validator", kind: "Test", patch: "minTwo: a",
			want: []string{`minTwo: invalid value "a" (does not satisfy strings.MinRunes(2)) [MW0108]`}},
		{name: "fallback: unknown bound operator", kind: "Test", patch: "notA: a",
			want: []string{`notA: invalid value "a" (out of bound !="a") [MW0108]`}},
	}

	validators, err := Validators(1)
	if err != nil {
		t.Fatal(err)
	}
	test := testValidator(t)
	covered := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, base := validators[0], ""
			var out any
			switch tc.kind {
			case schema.KindMesh:
				base, out = testspec.Mesh, &schema.Mesh{}
			case schema.KindTenant:
				base, out = testspec.Tenant, &schema.Tenant{}
			case "Test":
				v, base, out = test, "{}", &map[string]any{}
			default:
				t.Fatalf("unknown kind %q", tc.kind)
			}
			doc := document(t, tc.kind, base, tc.patch)
			var got []string
			for _, d := range v.Validate(doc, out) {
				if d.File != "input.yaml" || d.Resource != doc.Resource || d.Severity != schema.SeverityError {
					t.Errorf("diagnostic not located in its document: %+v", d)
				}
				got = append(got, fmt.Sprintf("%s: %s [%s]", d.Path, d.Message, d.Code))
			}
			want := slices.Clone(tc.want)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", lines(got), lines(want))
			}
		})
		if tc.pattern != "" {
			covered[tc.pattern] = true
			name, ok := patternNames[tc.pattern]
			if !ok || len(tc.want) != 1 || !strings.Contains(tc.want[0], ": "+name+" (got ") {
				t.Errorf("case %q: want must be patternNames[%q] (got ...)", tc.name, tc.pattern)
			}
		}
	}
	for re := range patternNames {
		if !covered[re] {
			t.Errorf("no case of TestMessages exercises pattern %q", re)
		}
	}
}

func lines(s []string) string {
	if len(s) == 0 {
		return "  (none)"
	}
	return "  " + strings.Join(s, "\n  ")
}

// testValidator is a Validator of testSchema, kind "Test".
func testValidator(t *testing.T) *Validator {
	t.Helper()
	ctx := cuecontext.New()
	v := ctx.CompileString(testSchema)
	def := v.LookupPath(cue.ParsePath("#Test"))
	if err := def.Err(); err != nil {
		t.Fatal(err)
	}
	return &Validator{ctx: ctx, kinds: map[string]cue.Value{"Test": def}}
}

// document merges patch into base (mappings key by key, anything else
// replaced; the value "(delete)" removes a key) and returns it as the loader
// would: plain values typed as the loader types them, an origin in the
// reparsed YAML.
func document(t *testing.T, kind, base, patch string) Document {
	t.Helper()
	root := testspec.Mapping(t, base)
	if strings.TrimSpace(patch) != "" {
		testspec.Merge(root, testspec.Mapping(t, patch))
	}
	text, err := yaml.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	root = testspec.Mapping(t, string(text))
	value := plain(root)
	resource := kind
	if md, ok := value.(map[string]any)["metadata"].(map[string]any); ok {
		resource += fmt.Sprintf("/%v", md["name"])
	}
	return Document{Kind: kind, Resource: resource, Value: value, Origin: schema.NewOrigin("input.yaml", 0, root)}
}

// plain converts YAML to the values schema/load hands the validator: maps,
// lists, nil, bool, int64, float64 and strings.
func plain(n *yaml.Node) any {
	n = schema.ResolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = plain(c)
		}
		return l
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := strconv.ParseBool(n.Value)
		return b
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}

// TestEnumsMatchGo ties the enumerations of the CUE schema, read from the
// compiled definitions, to the Go constants code compares against.
func TestEnumsMatchGo(t *testing.T) {
	str := func(vs ...any) []string {
		var out []string
		for _, v := range vs {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	cases := []struct {
		kind, path string // path: "[]" is any list element
		goType     string // the type in schema/enums.go, or "" for another package's
		want       []string
	}{
		{schema.KindMesh, "spec.security.mtls", "MTLSMode", str(schema.MTLSStrict, schema.MTLSPermissive)},
		{schema.KindMesh, "spec.controlPlane.outboundTrafficPolicy", "OutboundTrafficPolicy", str(schema.OutboundRegistryOnly, schema.OutboundAllowAny)},
		{schema.KindMesh, "spec.visibility", "Visibility", str(schema.VisibilityScoped, schema.VisibilityMesh)},
		{schema.KindMesh, "spec.gateways.ingress.[].service.type", "", str(corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort)},
		{schema.KindMesh, "spec.gateways.egress.[].service.type", "", str(corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort)},
		{schema.KindTenant, "spec.services.[].ingress.tls", "TLSMode", str(schema.TLSSimple, schema.TLSMutual, schema.TLSNone)},
		{schema.KindTenant, "spec.egress.[].tls", "TLSMode", str(schema.TLSSimple, schema.TLSMutual)},
		{schema.KindTenant, "spec.egress.[].location", "Location", str(schema.LocationCluster, schema.LocationExternal)},
		{schema.KindMesh, "spec.dataplane", "Dataplane", str(schema.DataplaneSidecar, schema.DataplaneAmbient)},
		{schema.KindMesh, "spec.controlPlane.install", "InstallMethod", str(schema.InstallIstioctl, schema.InstallArgoCD, schema.InstallFlux)},
		{schema.KindTenant, "spec.dataplane", "Dataplane", str(schema.DataplaneSidecar, schema.DataplaneAmbient)},
		{schema.KindTenant, "spec.namespaces.[].dataplane", "Dataplane", str(schema.DataplaneSidecar, schema.DataplaneAmbient)},
		{schema.KindMesh, "spec.gateways.ingress.[].api", "GatewayAPI", str(schema.GatewayAPIIstio, schema.GatewayAPIKubernetes)},
		{schema.KindMesh, "spec.gateways.egress.[].api", "GatewayAPI", str(schema.GatewayAPIIstio, schema.GatewayAPIKubernetes)},
		{schema.KindTenant, "spec.owners.[].kind", "OwnerKind", str(schema.OwnerGroup, schema.OwnerUser, schema.OwnerServiceAccount)},
	}
	got := map[string][]string{}
	err := Definitions(func(kind string, def cue.Value) error {
		for _, tc := range cases {
			if tc.kind == kind {
				got[kind+" "+tc.path] = enumValues(t, def, tc.path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string][]string{}
	for _, tc := range cases {
		g, w := got[tc.kind+" "+tc.path], slices.Clone(tc.want)
		sort.Strings(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s %s: the CUE schema accepts %q, the Go constants are %q", tc.kind, tc.path, g, w)
		}
		if tc.goType != "" {
			byType[tc.goType] = append(byType[tc.goType], tc.want...)
		}
	}
	// and every constant of schema/enums.go is some field's value
	for typ, consts := range enumConstants(t) {
		w := dedupe(slices.Sorted(slices.Values(byType[typ])))
		if !slices.Equal(consts, w) {
			t.Errorf("schema/enums.go declares %s values %q; the fields checked here accept %q: add the field to this test", typ, consts, w)
		}
		delete(byType, typ)
	}
	for typ := range byType {
		t.Errorf("type %s is not declared in schema/enums.go", typ)
	}
}

// enumValues returns, sorted, the concrete strings a field of def accepts:
// the alternatives of its disjunction. Disjunctions met on the way (a list
// default and its alternative) are followed into every branch; non-concrete
// alternatives (a computed default) are skipped.
func enumValues(t *testing.T, def cue.Value, path string) []string {
	t.Helper()
	values := []cue.Value{def}
	for _, seg := range strings.Split(path, ".") {
		var next []cue.Value
		for _, v := range values {
			for _, alt := range branches(v) {
				for _, sel := range selectors(seg) {
					if x := alt.LookupPath(cue.MakePath(sel)); x.Exists() {
						next = append(next, x)
						break
					}
				}
			}
		}
		if len(next) == 0 {
			t.Fatalf("%s: no field %q", path, seg)
		}
		values = next
	}
	var out []string
	for _, v := range values {
		alts := alternatives(v)
		if len(alts) < 2 {
			t.Errorf("%s is not a disjunction: %v", path, v)
		}
		for _, alt := range alts {
			if s, err := alt.String(); err == nil {
				out = append(out, s)
			}
		}
	}
	return dedupe(slices.Sorted(slices.Values(out)))
}

// branches are the values a path lookup may go through: the alternatives
// of a disjunction, or, for a disjunction CUE resolved to its default (*[]
// | [...]), the value and the expression it came from.
func branches(v cue.Value) []cue.Value {
	op, args := v.Expr()
	if op == cue.NoOp && len(args) == 1 {
		return []cue.Value{v, args[0]}
	}
	return alternatives(v)
}

// alternatives flattens a disjunction; any other value is its own only
// alternative.
func alternatives(v cue.Value) []cue.Value {
	op, args := v.Expr()
	if op != cue.OrOp {
		return []cue.Value{v}
	}
	var out []cue.Value
	for _, a := range args {
		out = append(out, alternatives(a)...)
	}
	return out
}

func selectors(seg string) []cue.Selector {
	if seg == "[]" {
		return []cue.Selector{cue.AnyIndex, cue.Index(0)}
	}
	s := cue.Str(seg)
	return []cue.Selector{s, s.Optional(), s.Required()}
}

// enumConstants reads schema/enums.go: each declared type's constant values.
func enumConstants(t *testing.T) map[string][]string {
	t.Helper()
	f, err := goparser.ParseFile(gotoken.NewFileSet(), "../enums.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != gotoken.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, ok := vs.Type.(*ast.Ident)
			if !ok {
				continue
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[typ.Name] = append(out[typ.Name], s)
				}
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %d enum types in schema/enums.go: the scan is broken", len(out))
	}
	for typ := range out {
		out[typ] = dedupe(slices.Sorted(slices.Values(out[typ])))
	}
	return out
}
