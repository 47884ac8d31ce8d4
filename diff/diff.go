// Package diff compares two renders by meaning: which objects a change adds,
// removes, changes (down to the leaf fields) or moves from one input to
// another, grouped by the Mesh or Tenant they come from. A reviewer reads it
// next to, or instead of, the file diff of the rendered trees.
//
// Each side is loaded with Load (a spec, a rendered tree or a YAML stream) or
// LoadAtRevision (the same path at a git revision), compared with Compare and
// written with Write as text or markdown:
//
//	old, err := diff.LoadAtRevision(".", "origin/main", "spec")
//	new, err := diff.Load("spec")
//	result, err := diff.Compare(old, new)
//	err = diff.Write(os.Stdout, result, diff.Markdown)
//
// Objects are matched by identity: API group, kind, namespace and name (the
// version is not part of it, so a new apiVersion shows as a changed field).
// An object whose meshwright.dev/source annotation differs between the sides
// is moved. Fields are compared structurally: maps key by key, lists index by
// index. Nothing is left out of the comparison except the annotations kpt
// adds to record where it read an object (IgnoredAnnotation).
package diff

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/meshwright/meshwright/render"
)

// AnnotationSource names the input an object was rendered from,
// "Mesh/<name>" or "Tenant/<name>".
const AnnotationSource = render.AnnotationSource

// Object is one Kubernetes object of a side.
type Object struct {
	// Source is the value of the meshwright.dev/source annotation,
	// "Mesh/platform" or "Tenant/shop"; "" when the object has none.
	Source string
	// Origin tells where the object was read, for messages: "file" or
	// "file (document N)" for rendered input, "rendered from Tenant/shop"
	// for a spec.
	Origin string
	// Value is the object as plain values: map[string]any, []any, string,
	// bool, int64, float64 and nil; without the annotations IgnoredAnnotation
	// names.
	Value map[string]any
}

// ID is an object's identity: the same ID on both sides is the same object.
type ID struct {
	Group     string // "" for the core group
	Kind      string
	Namespace string // "" for cluster-scoped objects
	Name      string
}

// String is "Kind namespace/name", or "Kind name" for a cluster-scoped
// object; a Gateway API Gateway is a "Gateway (Gateway API)", so that it
// reads apart from an Istio Gateway.
func (id ID) String() string {
	kind := id.Kind
	if id.Group == "gateway.networking.k8s.io" && kind == "Gateway" {
		kind = "Gateway (Gateway API)"
	}
	if id.Namespace == "" {
		return kind + " " + id.Name
	}
	return kind + " " + id.Namespace + "/" + id.Name
}

func compareIDs(a, b ID) int {
	return cmp.Or(
		strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.Namespace, b.Namespace),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Group, b.Group),
	)
}

// Change is what happened to an object.
type Change string

const (
	Added   Change = "added"
	Changed Change = "changed"
	Removed Change = "removed"
	// Moved: the object exists on both sides, rendered from different
	// sources. It is listed under both; its field changes, if any, are in
	// the ObjectDiff either way.
	Moved Change = "moved"
)

// FieldOp is what happened to one field of a changed object.
type FieldOp string

const (
	FieldAdded   FieldOp = "added"
	FieldChanged FieldOp = "changed"
	FieldRemoved FieldOp = "removed"
)

// FieldDiff is one difference inside an object: a leaf value that changed,
// or a field (with everything under it) that only one side has.
type FieldDiff struct {
	// Path is the field's path, e.g. spec.servers[0].tls.mode or
	// metadata.labels["istio.io/rev"].
	Path string
	Op   FieldOp
	Old  any // nil for FieldAdded
	New  any // nil for FieldRemoved
}

// ObjectDiff is one object that differs between the sides.
type ObjectDiff struct {
	ID     ID
	Change Change
	// From and To are the object's sources before and after: equal except
	// for a moved object.
	From, To string
	// Fields lists the differences of a changed or moved object, in the
	// order of the object's fields (map keys sorted, list items by index).
	Fields []FieldDiff
}

// SourceDiff is every difference of one source.
type SourceDiff struct {
	// Source is "Mesh/<name>", "Tenant/<name>", or "" for objects without
	// a meshwright.dev/source annotation.
	Source string
	// Objects are sorted by kind, namespace, name and group. A moved object
	// is listed under its old source (To names where it went) and its new
	// one (From names where it came from).
	Objects []ObjectDiff
	// The counts of Objects by change; MovedIn and MovedOut split Moved.
	Added, Changed, Removed, MovedIn, MovedOut int
}

// Result is the difference of two renders.
type Result struct {
	// Sources with at least one difference: the Mesh first, then Tenants,
	// each kind by name, then anything else, and objects without a source
	// last.
	Sources []SourceDiff
	// Unchanged lists, in the same order, the sources that have objects on
	// both sides and no difference.
	Unchanged []string
}

// Empty tells whether the two sides render exactly the same objects.
func (r Result) Empty() bool { return len(r.Sources) == 0 }

// Compare returns the differences from old to new. It refuses sides that
// hold an object without kind or name, or two objects with one identity.
func Compare(old, new []Object) (Result, error) {
	before, err := index(old)
	if err != nil {
		return Result{}, fmt.Errorf("old side: %w", err)
	}
	after, err := index(new)
	if err != nil {
		return Result{}, fmt.Errorf("new side: %w", err)
	}
	bySource := map[string]*SourceDiff{}
	seen := map[string]bool{}
	add := func(source string, d ObjectDiff) {
		sd := bySource[source]
		if sd == nil {
			sd = &SourceDiff{Source: source}
			bySource[source] = sd
		}
		sd.Objects = append(sd.Objects, d)
		switch {
		case d.Change == Added:
			sd.Added++
		case d.Change == Changed:
			sd.Changed++
		case d.Change == Removed:
			sd.Removed++
		case source == d.From:
			sd.MovedOut++
		default:
			sd.MovedIn++
		}
	}
	for id, o := range before {
		seen[o.Source] = true
		n, ok := after[id]
		if !ok {
			add(o.Source, ObjectDiff{ID: id, Change: Removed, From: o.Source, To: o.Source})
			continue
		}
		if o.Source == n.Source && equal(o.Value, n.Value) {
			continue // most objects: nothing to compare field by field
		}
		var fields []FieldDiff
		if ov, nv := comparable(o.Value), comparable(n.Value); !equal(ov, nv) {
			fields = fieldDiffs(ov, nv)
		}
		if o.Source != n.Source {
			d := ObjectDiff{ID: id, Change: Moved, From: o.Source, To: n.Source, Fields: fields}
			add(o.Source, d)
			add(n.Source, d)
			continue
		}
		if len(fields) > 0 {
			add(o.Source, ObjectDiff{ID: id, Change: Changed, From: o.Source, To: n.Source, Fields: fields})
		}
	}
	for id, n := range after {
		seen[n.Source] = true
		if _, ok := before[id]; !ok {
			add(n.Source, ObjectDiff{ID: id, Change: Added, From: n.Source, To: n.Source})
		}
	}
	var r Result
	for _, source := range slices.SortedFunc(maps.Keys(seen), compareSources) {
		sd := bySource[source]
		if sd == nil {
			r.Unchanged = append(r.Unchanged, source)
			continue
		}
		slices.SortFunc(sd.Objects, func(a, b ObjectDiff) int { return compareIDs(a.ID, b.ID) })
		r.Sources = append(r.Sources, *sd)
	}
	return r, nil
}

// compareSources orders Mesh/ before Tenant/ before anything else, and ""
// (no source) last.
func compareSources(a, b string) int {
	rank := func(s string) int {
		switch {
		case strings.HasPrefix(s, "Mesh/"):
			return 0
		case strings.HasPrefix(s, "Tenant/"):
			return 1
		case s == "":
			return 3
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

func index(objs []Object) (map[ID]Object, error) {
	m := make(map[ID]Object, len(objs))
	for _, o := range objs {
		id, err := identity(o.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Origin, err)
		}
		if prev, dup := m[id]; dup {
			return nil, fmt.Errorf("%s and %s both hold %s", prev.Origin, o.Origin, id)
		}
		m[id] = o
	}
	return m, nil
}

// identity reads an object's ID; kind and name are required.
func identity(v map[string]any) (ID, error) {
	apiVersion, _ := v["apiVersion"].(string)
	kind, _ := v["kind"].(string)
	md, _ := v["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	ns, _ := md["namespace"].(string)
	switch {
	case apiVersion == "":
		return ID{}, fmt.Errorf("object without apiVersion")
	case kind == "":
		return ID{}, fmt.Errorf("object without kind")
	case name == "":
		return ID{}, fmt.Errorf("%s without metadata.name (generateName is not supported)", kind)
	}
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = "" // "v1": the core group
	}
	return ID{Group: group, Kind: kind, Namespace: ns, Name: name}, nil
}

// IgnoredAnnotation tells whether an annotation is left out of the
// comparison: the ones kpt (and kyaml) add to record the file and position
// an object was read from — every key under internal.config.kubernetes.io/,
// and the legacy config.kubernetes.io/path and config.kubernetes.io/index.
// They say where an object is written, not what it is; every other
// annotation, config.kubernetes.io/local-config included, is compared.
func IgnoredAnnotation(key string) bool {
	return strings.HasPrefix(key, "internal.config.kubernetes.io/") ||
		key == "config.kubernetes.io/path" || key == "config.kubernetes.io/index"
}

// normalize returns v without the ignored annotations (and without an
// annotations map they leave empty); v itself is not modified.
func normalize(v map[string]any) map[string]any {
	return withoutAnnotations(v, IgnoredAnnotation)
}

// comparable is v as Compare compares it: without the ignored annotations
// and the source annotation, which Object.Source carries (a different
// source is a move, not a changed field); and with an annotations map,
// empty if need be, so that annotations compare key by key even when one
// side has none.
func comparable(v map[string]any) map[string]any {
	md, ok := v["metadata"].(map[string]any)
	if !ok {
		return v
	}
	ann, _ := md["annotations"].(map[string]any)
	kept := make(map[string]any, len(ann))
	for k, a := range ann {
		if k != AnnotationSource && !IgnoredAnnotation(k) {
			kept[k] = a
		}
	}
	if _, isMap := md["annotations"].(map[string]any); !isMap && md["annotations"] != nil {
		return v // not a map: compared as it is
	}
	md = maps.Clone(md)
	md["annotations"] = kept
	v = maps.Clone(v)
	v["metadata"] = md
	return v
}

// withoutAnnotations returns v without the annotations drop matches (and
// without an annotations map they leave empty); v itself is not modified.
func withoutAnnotations(v map[string]any, drop func(string) bool) map[string]any {
	md, ok := v["metadata"].(map[string]any)
	if !ok {
		return v
	}
	ann, ok := md["annotations"].(map[string]any)
	if !ok {
		return v
	}
	kept := make(map[string]any, len(ann))
	for k, a := range ann {
		if !drop(k) {
			kept[k] = a
		}
	}
	if len(kept) == len(ann) {
		return v
	}
	md = maps.Clone(md)
	if len(kept) == 0 {
		delete(md, "annotations")
	} else {
		md["annotations"] = kept
	}
	v = maps.Clone(v)
	v["metadata"] = md
	return v
}

// fieldDiffs lists the differences between two objects.
func fieldDiffs(old, new map[string]any) []FieldDiff {
	var out []FieldDiff
	walk(&out, make([]any, 0, 16), old, new)
	return out
}

// walk appends the differences between a and b at path: maps are compared
// key by key, lists index by index, anything else as a whole. path is
// extended and restored in place: it is copied only into a FieldDiff.
func walk(out *[]FieldDiff, path []any, a, b any) {
	if equal(a, b) {
		return
	}
	switch ta := a.(type) {
	case map[string]any:
		if tb, ok := b.(map[string]any); ok {
			keys := slices.Collect(maps.Keys(ta))
			for k := range tb {
				if _, ok := ta[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				p := append(path, k)
				va, inA := ta[k]
				vb, inB := tb[k]
				switch {
				case !inB:
					*out = append(*out, FieldDiff{Path: formatPath(p), Op: FieldRemoved, Old: va})
				case !inA:
					*out = append(*out, FieldDiff{Path: formatPath(p), Op: FieldAdded, New: vb})
				default:
					walk(out, p, va, vb)
				}
			}
			return
		}
	case []any:
		if tb, ok := b.([]any); ok {
			for i := range max(len(ta), len(tb)) {
				p := append(path, i)
				switch {
				case i >= len(tb):
					*out = append(*out, FieldDiff{Path: formatPath(p), Op: FieldRemoved, Old: ta[i]})
				case i >= len(ta):
					*out = append(*out, FieldDiff{Path: formatPath(p), Op: FieldAdded, New: tb[i]})
				default:
					walk(out, p, ta[i], tb[i])
				}
			}
			return
		}
	}
	*out = append(*out, FieldDiff{Path: formatPath(path), Op: FieldChanged, Old: a, New: b})
}

// equal compares two values deeply, numbers by value.
func equal(a, b any) bool {
	switch ta := a.(type) {
	case map[string]any:
		tb, ok := b.(map[string]any)
		if !ok || len(ta) != len(tb) {
			return false
		}
		for k, va := range ta {
			vb, ok := tb[k]
			if !ok || !equal(va, vb) {
				return false
			}
		}
		return true
	case []any:
		tb, ok := b.([]any)
		if !ok || len(ta) != len(tb) {
			return false
		}
		for i := range ta {
			if !equal(ta[i], tb[i]) {
				return false
			}
		}
		return true
	}
	return equalScalar(a, b)
}

// equalScalar compares two values of which at least one is not a map or
// list of the other's type: equal only as equal scalars. Numbers compare by
// value, whatever their Go type (YAML reads 80 as an int, JSON as int64).
func equalScalar(a, b any) bool {
	switch a.(type) {
	case map[string]any, []any:
		return false
	}
	switch b.(type) {
	case map[string]any, []any:
		return false
	}
	a, b = scalar(a), scalar(b)
	switch a.(type) {
	case nil, bool, string, int64, float64:
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

// scalar returns numbers as int64 when integral and in range, float64
// otherwise, as the encoder writes them and a YAML parser reads them back;
// other values unchanged.
func scalar(v any) any {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case uint:
		return scalar(uint64(n))
	case uint8:
		return int64(n)
	case uint16:
		return int64(n)
	case uint32:
		return int64(n)
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n)
		}
		return float64(n)
	case float32:
		return scalar(float64(n))
	case float64:
		if n == math.Trunc(n) && n >= math.MinInt64 && n < math.MaxInt64 {
			return int64(n)
		}
	}
	return v
}

// formatPath writes a path of map keys (string) and list indices (int):
// spec.servers[0].tls.mode; keys other than letters, digits, '-' and '_'
// (or all digits) are quoted: metadata.labels["istio.io/rev"].
func formatPath(path []any) string {
	var b strings.Builder
	for _, seg := range path {
		switch s := seg.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		case string:
			if plainKey(s) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(s)
			} else {
				fmt.Fprintf(&b, "[%s]", strconv.Quote(s))
			}
		}
	}
	return b.String()
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	digits := true
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			digits = false
		default:
			return false
		}
	}
	return !digits
}
