package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Severity tells whether a diagnostic stops the render.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem found in the input, located in the user's file.
type Diagnostic struct {
	Severity Severity
	Code     Code
	File     string
	Line     int // 1-based; 0 when the problem has no line (an unreadable file)
	Column   int // 1-based; 0 when unknown
	// Index is the position of the document in its file (0-based), as kpt's
	// config.kubernetes.io/index annotation counts.
	Index int
	// Resource names the input document, e.g. "Tenant/bookinfo"; empty when
	// the document could not be identified.
	Resource string
	Path     Path
	Message  string
}

// String renders the diagnostic as file:line:col: field.path: message.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
		if d.Column > 0 {
			fmt.Fprintf(&b, ":%d", d.Column)
		}
	}
	b.WriteString(": ")
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	if len(d.Path) > 0 {
		b.WriteString(d.Path.String())
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Code != "" {
		fmt.Fprintf(&b, " [%s]", d.Code)
	}
	return b.String()
}

// Errors is every error found in one load; it is returned as an error only
// when it holds at least one.
type Errors []Diagnostic

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, d := range e {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Diagnostics is every problem one load or render found, warnings included.
type Diagnostics []Diagnostic

// Err is nil when no diagnostic is an error, and the errors otherwise.
func (ds Diagnostics) Err() error {
	var errs Errors
	for _, d := range ds {
		if d.Severity == SeverityError {
			errs = append(errs, d)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Sort orders by file, line, column, then message, so output does not
// depend on the order checks ran in.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.String() < b.String()
	})
}

// Path is a field path inside one document: map keys and list indices.
type Path []string

// ParsePath splits "spec.services[0].name" into its segments. It is meant for
// paths written in code and tests; it does not handle quoted keys.
func ParsePath(s string) Path {
	var p Path
	for _, part := range strings.Split(s, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				p = append(p, part)
				break
			}
			if i > 0 {
				p = append(p, part[:i])
			}
			j := strings.IndexByte(part, ']')
			p = append(p, part[i+1:j])
			part = part[j+1:]
		}
	}
	return p
}

// Child returns the path extended by the given segments; p is not modified.
func (p Path) Child(segments ...any) Path {
	out := make(Path, len(p), len(p)+len(segments))
	copy(out, p)
	for _, s := range segments {
		out = append(out, segment(s))
	}
	return out
}

// segment is a path segment as text: fmt.Sprint's, without its reflection
// for the field names and list indexes that make up nearly every path (the
// cross-tenant rules build one per field they check, errors or not).
func segment(s any) string {
	switch s := s.(type) {
	case string:
		return s
	case int:
		return strconv.Itoa(s)
	}
	return fmt.Sprint(s)
}

func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case isIndex(s):
			fmt.Fprintf(&b, "[%s]", s)
		case isPlainKey(s):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		default:
			fmt.Fprintf(&b, "[%q]", s)
		}
	}
	return b.String()
}

// EndsInIndex tells whether the path names an element of a list.
func (p Path) EndsInIndex() bool { return len(p) > 0 && isIndex(p[len(p)-1]) }

// isIndex tells whether a path segment is a list index.
func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
