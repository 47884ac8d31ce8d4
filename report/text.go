package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// ANSI colours of the text format.
const (
	colorError   = "\x1b[1;31m" // bold red
	colorWarning = "\x1b[1;33m" // bold yellow
	colorReset   = "\x1b[0m"
)

// ColorEnabled is the policy for colour in text: only on a terminal, never
// when NO_COLOR is set to anything but "" (https://no-color.org) or the
// terminal is dumb. getenv is os.Getenv in the program.
func ColorEnabled(terminal bool, getenv func(string) string) bool {
	return terminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// writeText prints one line per diagnostic, as schema.Diagnostic.String
// does. Without Verbose, two or more foreign documents (MW0009) collapse
// into one summary line at the end: a spec directory next to a
// kustomization would otherwise bury the real findings.
func writeText(w io.Writer, diags schema.Diagnostics, opts Options) error {
	foreign := 0
	for _, d := range diags {
		if d.Code == schema.CodeForeignDocument {
			foreign++
		}
	}
	collapse := !opts.Verbose && foreign > 1
	var b bytes.Buffer
	for _, d := range diags {
		if collapse && d.Code == schema.CodeForeignDocument {
			continue
		}
		b.WriteString(TextLine(d, opts.Color))
		b.WriteByte('\n')
	}
	if collapse {
		b.WriteString(TextLine(skippedSummary(foreign), opts.Color))
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// skippedSummary stands for n foreign-document warnings.
func skippedSummary(n int) schema.Diagnostic {
	return schema.Diagnostic{
		Severity: schema.SeverityWarning,
		Code:     schema.CodeForeignDocument,
		Message:  fmt.Sprintf("skipped %d documents that are not meshwright inputs (-v lists them)", n),
	}
}

// TextLine is the diagnostic's line in the text format: d.String(), with
// "meshwright" for a missing file name, and with colour the severity word
// and the code marked.
func TextLine(d schema.Diagnostic, color bool) string {
	line := d.String()
	loc := location(d)
	if d.File == "" {
		line = "meshwright" + line
	}
	if !color {
		return line
	}
	paint := colorError
	if d.Severity == schema.SeverityWarning {
		paint = colorWarning
	}
	rest := strings.TrimPrefix(line, loc+": ")
	var b strings.Builder
	b.WriteString(loc)
	b.WriteString(": ")
	if after, ok := strings.CutPrefix(rest, "warning: "); ok {
		b.WriteString(paint + "warning:" + colorReset + " ")
		rest = after
	}
	if d.Code != "" {
		if before, ok := strings.CutSuffix(rest, " ["+string(d.Code)+"]"); ok {
			b.WriteString(before)
			b.WriteString(" " + paint + "[" + string(d.Code) + "]" + colorReset)
			return b.String()
		}
	}
	b.WriteString(rest)
	return b.String()
}

// location is what d.String() prints before the first ": ".
func location(d schema.Diagnostic) string {
	loc := d.File
	if loc == "" {
		loc = "meshwright"
	}
	if d.Line > 0 {
		loc += fmt.Sprintf(":%d", d.Line)
		if d.Column > 0 {
			loc += fmt.Sprintf(":%d", d.Column)
		}
	}
	return loc
}
