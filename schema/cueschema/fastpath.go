package cueschema

import (
	"strings"
	"unicode/utf8"
)

// The fast path: #Tenant (tenant.cue, common.cue) read in Go, for the one
// kind a platform has thousands of. It only ever accepts: a document it
// takes is one CUE accepts, and the defaulted value it returns is the one
// CUE exports (fastpath_test.go holds it to CUE over the examples, a
// mutation of every field and fuzzing). Anything it does not take, from a
// wrong value to a float where an int belongs, goes to CUE, which says what
// is wrong. Unifying with CUE is most of a large render's time; this is a
// walk over the document.

// check accepts a value and returns it with its defaults filled in.
type check func(v any, root map[string]any) (any, bool)

// field is one field of a closed struct: present, it must pass check;
// absent, it is an error when required and takes its default when it has
// one.
type field struct {
	name     string
	required bool
	check    check
	fallback func(parent, root map[string]any) (any, bool)
}

// acceptTenant returns the defaulted Tenant document when the fast path
// can vouch for it.
func acceptTenant(v any) (map[string]any, bool) {
	root, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out, ok := tenantDoc(root, root)
	if !ok {
		return nil, false
	}
	return out.(map[string]any), true
}

// dnsName is CUE's ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$, a DNS-1123 label's
// characters, as a loop: the regular expression was a tenth of the fast
// path's time (TestNamePatterns holds it to the expression).
func dnsName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') && (c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// subdomain is a DNS-1123 subdomain's characters: dnsNames joined by dots.
func subdomain(s string) bool {
	for label := range strings.SplitSeq(s, ".") {
		if !dnsName(label) {
			return false
		}
	}
	return true
}

// The definitions, in the order of the .cue files.
var (
	tenantDoc = closed(
		field{name: "apiVersion", required: true, check: oneOf("meshwright.dev/v1alpha1")},
		field{name: "kind", required: true, check: oneOf("Tenant")},
		field{name: "metadata", required: true, check: metadata},
		field{name: "spec", required: true, check: tenantSpec},
	)
	tenantSpec = closed(
		field{name: "owners", check: listOf(0, owner)},
		field{name: "revision", check: dnsLabel},
		field{name: "dataplane", check: oneOf("sidecar", "ambient")},
		field{name: "namespaces", required: true, check: listOf(1, namespace)},
		field{name: "services", check: listOf(0, service)},
		field{name: "egress", check: listOf(0, egress)},
	)
	owner = closed(
		field{name: "kind", required: true, check: oneOf("Group", "User", "ServiceAccount")},
		field{name: "name", required: true, check: text(1, 0, nil)},
		field{name: "namespace", check: dnsLabel},
	)
	namespace = closed(
		field{name: "name", required: true, check: dnsLabel},
		field{name: "revision", check: dnsLabel},
		field{name: "dataplane", check: oneOf("sidecar", "ambient")},
		field{name: "allowSameNamespace", check: boolean, fallback: constant(false)},
	)
	service = closed(
		field{name: "name", required: true, check: dnsLabel},
		field{name: "namespace", check: dnsLabel, fallback: firstNamespace},
		field{name: "port", required: true, check: port},
		field{name: "subsets", check: listOf(0, closed(
			field{name: "name", required: true, check: dnsLabel},
			field{name: "labels", required: true, check: mapOf(text(0, 0, nil))},
		))},
		field{name: "ingress", check: ingress},
		field{name: "authorization", check: closed(
			field{name: "claims", required: true, check: mapOf(listOf(1, text(1, 0, nil)))},
		)},
		field{name: "callers", check: listOf(0, closed(
			field{name: "tenant", required: true, check: dnsLabel},
			field{name: "namespaces", check: listOf(1, dnsLabel)},
			field{name: "serviceAccounts", check: listOf(1, dnsLabel)},
		))},
	)
	ingress = closed(
		field{name: "gateway", check: dnsLabel},
		field{name: "host", check: host},
		field{name: "tls", check: oneOf("SIMPLE", "MUTUAL", "NONE"), fallback: constant("SIMPLE")},
		field{name: "routes", check: routes, fallback: func(_, _ map[string]any) (any, bool) {
			return defaultRoutes(), true
		}},
	)
	routeList = listOf(1, closed(
		field{name: "exact", check: text(1, 0, nil)},
		field{name: "prefix", check: text(1, 0, nil)},
		field{name: "regex", check: text(1, 0, nil)},
	))
	egress = closed(
		field{name: "name", required: true, check: dnsLabel},
		field{name: "namespace", check: dnsLabel, fallback: firstNamespace},
		field{name: "host", required: true, check: host},
		field{name: "port", check: port, fallback: constant(int64(443))},
		field{name: "tls", check: oneOf("MUTUAL", "SIMPLE"), fallback: constant("MUTUAL")},
		field{name: "location", check: oneOf("cluster", "external"), fallback: location},
		field{name: "gateway", check: dnsLabel},
	)
	metadata = closed(
		field{name: "name", required: true, check: dnsLabel},
		field{name: "namespace", check: dnsLabel},
		field{name: "labels", check: mapOf(text(0, 0, nil))},
		field{name: "annotations", check: mapOf(text(0, 0, nil))},
	)

	dnsLabel = text(0, 63, dnsName)
	port     = integer(1, 65535)
)

// host is #Host: a DNS-1123 subdomain with a dot.
func host(v any, root map[string]any) (any, bool) {
	s, ok := text(0, 253, subdomain)(v, root)
	return s, ok && strings.Contains(s.(string), ".")
}

// routes is `*[{prefix: "/"}] | [#Route, ...#Route]`. A list that unifies
// with the default, such as [{}], is the default: CUE picks the marked
// disjunct when both hold.
func routes(v any, root map[string]any) (any, bool) {
	if l, ok := v.([]any); ok && len(l) == 1 {
		if m, ok := l[0].(map[string]any); ok && (len(m) == 0 || len(m) == 1 && m["prefix"] == "/") {
			return defaultRoutes(), true
		}
	}
	return routeList(v, root)
}

func defaultRoutes() []any { return []any{map[string]any{"prefix": "/"}} }

// firstNamespace is the default namespace of services and egress entries:
// the tenant's first.
func firstNamespace(_, root map[string]any) (any, bool) {
	spec, _ := root["spec"].(map[string]any)
	namespaces, _ := spec["namespaces"].([]any)
	if len(namespaces) == 0 {
		return nil, false
	}
	first, _ := namespaces[0].(map[string]any)
	name, ok := first["name"].(string)
	return name, ok
}

// location is an egress entry's default location, from its host.
func location(parent, _ map[string]any) (any, bool) {
	host, ok := parent["host"].(string)
	if !ok {
		return nil, false
	}
	if strings.HasSuffix(host, ".svc.cluster.local") {
		return "cluster", true
	}
	return "external", true
}

func constant(v any) func(_, _ map[string]any) (any, bool) {
	return func(_, _ map[string]any) (any, bool) { return v, true }
}

// closed is a closed struct of fields.
func closed(fields ...field) check {
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.name] = true
	}
	return func(v any, root map[string]any) (any, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		for k := range m {
			if !known[k] {
				return nil, false
			}
		}
		out := make(map[string]any, len(fields))
		for _, f := range fields {
			value, present := m[f.name]
			switch {
			case present:
				if value, ok = f.check(value, root); !ok {
					return nil, false
				}
			case f.required:
				return nil, false
			case f.fallback != nil:
				if value, ok = f.fallback(m, root); !ok {
					return nil, false
				}
			default:
				continue
			}
			out[f.name] = value
		}
		return out, true
	}
}

// mapOf is an open struct whose every field passes elem. Keys CUE could
// read as something other than a regular field (hidden _x, definitions #x)
// are left to CUE.
func mapOf(elem check) check {
	return func(v any, root map[string]any) (any, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		out := make(map[string]any, len(m))
		for k, value := range m {
			if strings.HasPrefix(k, "_") || strings.HasPrefix(k, "#") {
				return nil, false
			}
			if out[k], ok = elem(value, root); !ok {
				return nil, false
			}
		}
		return out, true
	}
}

// listOf is a list of at least min items, each passing elem.
func listOf(min int, elem check) check {
	return func(v any, root map[string]any) (any, bool) {
		l, ok := v.([]any)
		if !ok || len(l) < min {
			return nil, false
		}
		out := make([]any, len(l))
		for i, item := range l {
			if out[i], ok = elem(item, root); !ok {
				return nil, false
			}
		}
		return out, true
	}
}

// text is a string of at least minRunes and, when maxRunes > 0, at most
// maxRunes runes, matching match when it is set.
func text(minRunes, maxRunes int, match func(string) bool) check {
	return func(v any, _ map[string]any) (any, bool) {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		n := utf8.RuneCountInString(s)
		if n < minRunes || maxRunes > 0 && n > maxRunes || match != nil && !match(s) {
			return nil, false
		}
		return s, true
	}
}

func oneOf(values ...string) check {
	return func(v any, _ map[string]any) (any, bool) {
		s, ok := v.(string)
		for _, want := range values {
			if ok && s == want {
				return s, true
			}
		}
		return nil, false
	}
}

// integer is an int within [lo, hi]. Floats, even whole ones, are CUE's to
// judge (it refuses them).
func integer(lo, hi int64) check {
	return func(v any, _ map[string]any) (any, bool) {
		i, ok := v.(int64)
		return i, ok && i >= lo && i <= hi
	}
}

func boolean(v any, _ map[string]any) (any, bool) {
	b, ok := v.(bool)
	return b, ok
}
