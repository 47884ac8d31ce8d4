// Package report writes diagnostics for people and for machines: text for a
// terminal, JSON for scripts, workflow commands that GitHub Actions turns
// into annotations, and SARIF 2.1.0 for code scanning.
//
// Every format is written whole by one call to Write, so a reader that
// parses the output (json, sarif) always gets one complete document, even
// when it holds no diagnostic.
package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// Format is how Write prints diagnostics.
type Format string

const (
	// Text is one line per diagnostic, as schema.Diagnostic.String prints it.
	Text Format = "text"
	// JSON is an array of objects, one per diagnostic.
	JSON Format = "json"
	// GitHub is GitHub Actions workflow commands (::error and ::warning).
	GitHub Format = "github"
	// SARIF is a SARIF 2.1.0 log with one run.
	SARIF Format = "sarif"
)

// Formats lists every format, in the order help texts give them.
var Formats = []Format{Text, JSON, GitHub, SARIF}

// FormatNames is Formats as strings, for flag help and shell completion.
func FormatNames() []string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return names
}

// ParseFormat accepts one of Formats.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown diagnostics format %q (use %s)", s, strings.Join(FormatNames(), ", "))
}

// Options tune Write.
type Options struct {
	Format Format // Text when empty
	// Quiet drops the warnings: only errors are written.
	Quiet bool
	// Verbose lists every skipped foreign document (MW0009) in text;
	// without it, two or more collapse into one summary line.
	Verbose bool
	// Color marks the severity word and the code with ANSI colours in text.
	// The caller decides: see ColorEnabled.
	Color bool
	// ToolVersion is meshwright's version, recorded in SARIF.
	ToolVersion string
	// BaseDir, when set, is the directory absolute file names are made
	// relative to in the github and sarif formats, whose consumers resolve
	// names against the repository root; usually the working directory.
	BaseDir string
}

// Write prints the diagnostics in the format the options choose.
func Write(w io.Writer, diags schema.Diagnostics, opts Options) error {
	if opts.Quiet {
		diags = errorsOnly(diags)
	}
	switch opts.Format {
	case Text, "":
		return writeText(w, diags, opts)
	case JSON:
		return writeJSON(w, diags)
	case GitHub:
		return writeGitHub(w, diags, opts)
	case SARIF:
		return writeSARIF(w, diags, opts)
	}
	return fmt.Errorf("unknown diagnostics format %q", opts.Format)
}

// Failure is a problem that is not a finding in the inputs: a path that
// cannot be read, an output that cannot be written. It has no code; text
// prints it like any diagnostic, SARIF as a tool execution notification
// that marks the run unsuccessful. file may be empty.
func Failure(file string, err error) schema.Diagnostic {
	return schema.Diagnostic{Severity: schema.SeverityError, File: file, Message: err.Error()}
}

// IsFailure tells a Failure from a finding.
func IsFailure(d schema.Diagnostic) bool { return d.Code == "" }

func errorsOnly(diags schema.Diagnostics) schema.Diagnostics {
	var out schema.Diagnostics
	for _, d := range diags {
		if d.Severity == schema.SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// codeInfo looks up a code's documentation.
var codeInfo = func() map[schema.Code]int {
	index := make(map[schema.Code]int, len(schema.Codes))
	for i, c := range schema.Codes {
		index[c.Code] = i
	}
	return index
}()

// codeName is the code's kebab-case name, "" for an unknown code.
func codeName(c schema.Code) string {
	if i, ok := codeInfo[c]; ok {
		return schema.Codes[i].Name
	}
	return ""
}

// fieldMessage is the message with the field path in front, as the text
// format shows it.
func fieldMessage(d schema.Diagnostic) string {
	if len(d.Path) == 0 {
		return d.Message
	}
	return d.Path.String() + ": " + d.Message
}

// relative makes an absolute file name relative to base, with forward
// slashes; other names keep their form.
func relative(file, base string) string {
	if base != "" && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(base, file); err == nil {
			file = rel
		}
	}
	return filepath.ToSlash(file)
}
