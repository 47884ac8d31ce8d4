package diff

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is an output format of Write.
type Format string

const (
	// Text is plain text for a terminal.
	Text Format = "text"
	// Markdown is for a pull request comment: a heading, a summary table,
	// then per source a collapsed <details> block with its changes.
	Markdown Format = "markdown"
)

// ParseFormat reads a format name: "text", or "markdown" (or "md").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "text", "":
		return Text, nil
	case "markdown", "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown diff format %q: text or markdown", s)
}

// Limits that keep the output readable; the Result itself is complete.
const (
	// MaxValueRunes is the longest value written; a longer one is cut and
	// says how long it was.
	MaxValueRunes = 100
	// MaxFieldsPerObject is the most field differences written for one
	// object; the rest are counted.
	MaxFieldsPerObject = 40
	// MaxUnchangedListed is the most unchanged sources named; more are
	// counted.
	MaxUnchangedListed = 10
)

// Write writes the result in the given format. Its output depends only on
// the result: sources, objects and fields come in the Result's order.
func Write(w io.Writer, r Result, f Format) error {
	var b bytes.Buffer
	switch f {
	case Text:
		writeText(&b, r)
	case Markdown:
		writeMarkdown(&b, r)
	default:
		return fmt.Errorf("unknown diff format %q: text or markdown", f)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeText(b *bytes.Buffer, r Result) {
	if r.Empty() {
		b.WriteString("No changes.\n")
		writeUnchanged(b, r, nil)
		return
	}
	for _, sd := range r.Sources {
		fmt.Fprintf(b, "%s: %s\n", sourceName(sd.Source), counts(sd))
	}
	writeUnchanged(b, r, nil)
	labels := labeler(r)
	for _, sd := range r.Sources {
		fmt.Fprintf(b, "\n%s\n", sourceName(sd.Source))
		for _, d := range sd.Objects {
			fmt.Fprintf(b, "  %-7s %s%s\n", d.Change, labels(d.ID), moveNote(sd.Source, d))
			if !showFields(sd.Source, d) {
				continue
			}
			eachField(d, func(f FieldDiff) {
				switch f.Op {
				case FieldChanged:
					fmt.Fprintf(b, "    ~ %s: %s → %s\n", f.Path, formatValue(f.Old), formatValue(f.New))
				case FieldAdded:
					fmt.Fprintf(b, "    + %s: %s\n", f.Path, formatValue(f.New))
				case FieldRemoved:
					fmt.Fprintf(b, "    - %s: %s\n", f.Path, formatValue(f.Old))
				}
			}, func(left int) { fmt.Fprintf(b, "    … %s\n", more(left)) })
		}
	}
}

// eachField calls field for each field difference of d that is shown, and
// rest with the number left out past MaxFieldsPerObject.
func eachField(d ObjectDiff, field func(FieldDiff), rest func(left int)) {
	for i, f := range d.Fields {
		if i == MaxFieldsPerObject {
			rest(len(d.Fields) - i)
			return
		}
		field(f)
	}
}

func writeMarkdown(b *bytes.Buffer, r Result) {
	b.WriteString("## meshwright diff\n\n")
	if r.Empty() {
		b.WriteString("No changes.\n")
		writeUnchanged(b, r, codeSpan)
		return
	}
	moves := slices.ContainsFunc(r.Sources, func(sd SourceDiff) bool { return sd.MovedIn+sd.MovedOut > 0 })
	b.WriteString("| Source | Added | Changed | Removed |")
	if moves {
		b.WriteString(" Moved |")
	}
	b.WriteString("\n| --- | ---: | ---: | ---: |")
	if moves {
		b.WriteString(" ---: |")
	}
	b.WriteByte('\n')
	for _, sd := range r.Sources {
		fmt.Fprintf(b, "| %s | %d | %d | %d |", strings.ReplaceAll(codeSpan(sourceName(sd.Source)), "|", `\|`), sd.Added, sd.Changed, sd.Removed)
		if moves {
			fmt.Fprintf(b, " %s |", movedCell(sd))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if writeUnchanged(b, r, codeSpan) {
		b.WriteByte('\n')
	}
	labels := labeler(r)
	for i, sd := range r.Sources {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(b, "<details>\n<summary><code>%s</code>: %s</summary>\n\n",
			html.EscapeString(sourceName(sd.Source)), html.EscapeString(counts(sd)))
		for _, d := range sd.Objects {
			fmt.Fprintf(b, "- **%s** %s%s\n", d.Change, codeSpan(labels(d.ID)), markdownMoveNote(sd.Source, d))
			if !showFields(sd.Source, d) {
				continue
			}
			eachField(d, func(f FieldDiff) {
				switch f.Op {
				case FieldChanged:
					fmt.Fprintf(b, "  - %s: %s → %s\n", codeSpan(f.Path), codeSpan(formatValue(f.Old)), codeSpan(formatValue(f.New)))
				case FieldAdded:
					fmt.Fprintf(b, "  - added %s: %s\n", codeSpan(f.Path), codeSpan(formatValue(f.New)))
				case FieldRemoved:
					fmt.Fprintf(b, "  - removed %s: %s\n", codeSpan(f.Path), codeSpan(formatValue(f.Old)))
				}
			}, func(left int) { fmt.Fprintf(b, "  - … %s\n", more(left)) })
		}
		b.WriteString("\n</details>\n")
	}
}

// writeUnchanged writes the line naming the unchanged sources, if any, each
// through quote when it is not nil, and tells whether it did.
func writeUnchanged(b *bytes.Buffer, r Result, quote func(string) string) bool {
	switch n := len(r.Unchanged); {
	case n == 0:
		return false
	case n > MaxUnchangedListed:
		fmt.Fprintf(b, "Unchanged: %d sources\n", n)
	default:
		names := make([]string, n)
		for i, s := range r.Unchanged {
			names[i] = sourceName(s)
			if quote != nil {
				names[i] = quote(names[i])
			}
		}
		fmt.Fprintf(b, "Unchanged: %s\n", strings.Join(names, ", "))
	}
	return true
}

func sourceName(s string) string {
	if s == "" {
		return "(no source)"
	}
	return s
}

func counts(sd SourceDiff) string {
	s := fmt.Sprintf("%d added, %d changed, %d removed", sd.Added, sd.Changed, sd.Removed)
	if sd.MovedIn > 0 {
		s += fmt.Sprintf(", %d moved in", sd.MovedIn)
	}
	if sd.MovedOut > 0 {
		s += fmt.Sprintf(", %d moved out", sd.MovedOut)
	}
	return s
}

func movedCell(sd SourceDiff) string {
	var parts []string
	if sd.MovedIn > 0 {
		parts = append(parts, fmt.Sprintf("%d in", sd.MovedIn))
	}
	if sd.MovedOut > 0 {
		parts = append(parts, fmt.Sprintf("%d out", sd.MovedOut))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// showFields: a moved object's fields are listed under its new source only.
func showFields(source string, d ObjectDiff) bool {
	return d.Change == Changed || d.Change == Moved && source == d.To
}

func moveNote(source string, d ObjectDiff) string {
	switch {
	case d.Change != Moved:
		return ""
	case source == d.From:
		return " to " + sourceName(d.To)
	}
	return " from " + sourceName(d.From)
}

func markdownMoveNote(source string, d ObjectDiff) string {
	switch {
	case d.Change != Moved:
		return ""
	case source == d.From:
		return " to " + codeSpan(sourceName(d.To))
	}
	return " from " + codeSpan(sourceName(d.From))
}

func more(n int) string {
	if n == 1 {
		return "1 more field difference"
	}
	return fmt.Sprintf("%d more field differences", n)
}

// labeler names objects by kind, namespace and name, and adds the API group
// to a kind that two groups of the result share (Gateway.networking.istio.io
// and Gateway.gateway.networking.k8s.io).
func labeler(r Result) func(ID) string {
	groups := map[string]map[string]bool{}
	for _, sd := range r.Sources {
		for _, d := range sd.Objects {
			if groups[d.ID.Kind] == nil {
				groups[d.ID.Kind] = map[string]bool{}
			}
			groups[d.ID.Kind][d.ID.Group] = true
		}
	}
	return func(id ID) string {
		if len(groups[id.Kind]) > 1 && id.Group != "" {
			id.Kind += "." + id.Group
		}
		return id.String()
	}
}

// codeSpan writes s as one markdown code span, fenced with more backticks
// than s holds in a row.
func codeSpan(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// formatValue writes a value on one line: scalars as YAML would, maps and
// lists in YAML's flow style with sorted keys. A map or list longer than
// MaxValueRunes is written to the depth that fits, deeper levels as {…} and
// […], and says how many values it holds; a longer string is cut and says
// its length.
func formatValue(v any) string {
	s := flow(v, -1)
	if utf8.RuneCountInString(s) <= MaxValueRunes {
		return s
	}
	switch t := v.(type) {
	case map[string]any, []any:
		for depth := depthOf(v) - 1; depth > 0; depth-- {
			if s = flow(v, depth); utf8.RuneCountInString(s) <= MaxValueRunes {
				break
			}
		}
		if utf8.RuneCountInString(s) > MaxValueRunes {
			s = string([]rune(s)[:MaxValueRunes]) + "…"
		}
		return fmt.Sprintf("%s (%d values)", s, leaves(v))
	case string:
		return fmt.Sprintf("%s… (%d characters)", string([]rune(s)[:MaxValueRunes]), utf8.RuneCountInString(t))
	}
	return string([]rune(s)[:MaxValueRunes]) + "…"
}

// flow writes v in flow style down to depth levels of maps and lists (all
// of them when depth < 0).
func flow(v any, depth int) string {
	var b strings.Builder
	writeFlow(&b, v, depth)
	return b.String()
}

func writeFlow(b *strings.Builder, v any, depth int) {
	switch t := v.(type) {
	case map[string]any:
		if depth == 0 && len(t) > 0 {
			b.WriteString("{…}")
			return
		}
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(t)) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatString(k))
			b.WriteString(": ")
			writeFlow(b, t[k], depth-1)
		}
		b.WriteByte('}')
	case []any:
		if depth == 0 && len(t) > 0 {
			b.WriteString("[…]")
			return
		}
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFlow(b, e, depth-1)
		}
		b.WriteByte(']')
	case string:
		b.WriteString(formatString(t))
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	default:
		switch n := scalar(v).(type) {
		case int64:
			b.WriteString(strconv.FormatInt(n, 10))
		case float64:
			b.WriteString(strconv.FormatFloat(n, 'g', -1, 64))
		default:
			fmt.Fprintf(b, "%v", v)
		}
	}
}

// depthOf is the number of nested levels of maps and lists in v.
func depthOf(v any) int {
	d := 0
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			d = max(d, depthOf(e))
		}
		return d + 1
	case []any:
		for _, e := range t {
			d = max(d, depthOf(e))
		}
		return d + 1
	}
	return 0
}

// leaves counts the scalars and empty collections in v.
func leaves(v any) int {
	switch t := v.(type) {
	case map[string]any:
		n := 0
		for _, e := range t {
			n += leaves(e)
		}
		return max(n, 1)
	case []any:
		n := 0
		for _, e := range t {
			n += leaves(e)
		}
		return max(n, 1)
	}
	return 1
}

// formatString writes s plain when it reads back as the same string and
// cannot be mistaken for the output's own punctuation, quoted otherwise.
func formatString(s string) string {
	if plainString(s) {
		return s
	}
	return strconv.Quote(s)
}

func plainString(s string) bool {
	if s == "" || s != strings.TrimSpace(s) {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "~", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf", ".nan":
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return false
	}
	if _, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
		return false // 1_000: a number to YAML 1.1
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '.' || r == '_' || r == '/':
		case r == '-' && (i > 0 || len(s) > 1 && s[1] != ' '):
		case i > 0 && strings.ContainsRune(":@%+=*() ", r):
		default:
			return false
		}
	}
	return !strings.Contains(s, ": ") && !strings.HasSuffix(s, ":")
}
