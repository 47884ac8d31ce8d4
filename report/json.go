package report

import (
	"encoding/json"
	"io"

	"github.com/meshwright/meshwright/schema"
)

// jsonDiagnostic is one element of the json format. Every key is always
// present: 0 and "" mean unknown (a file without a line, a problem without
// a field path); a Failure has no code and no name.
type jsonDiagnostic struct {
	Severity schema.Severity `json:"severity"`
	Code     schema.Code     `json:"code"`
	Name     string          `json:"name"`
	File     string          `json:"file"`
	Line     int             `json:"line"`
	Column   int             `json:"column"`
	Path     string          `json:"path"`
	Resource string          `json:"resource"`
	Message  string          `json:"message"`
}

// writeJSON prints an array, [] when there is nothing to report.
func writeJSON(w io.Writer, diags schema.Diagnostics) error {
	out := make([]jsonDiagnostic, 0, len(diags))
	for _, d := range diags {
		out = append(out, jsonDiagnostic{
			Severity: d.Severity,
			Code:     d.Code,
			Name:     codeName(d.Code),
			File:     d.File,
			Line:     d.Line,
			Column:   d.Column,
			Path:     d.Path.String(),
			Resource: d.Resource,
			Message:  d.Message,
		})
	}
	return encodeJSON(w, out)
}

// encodeJSON indents, and leaves <, > and & alone: "<stdin>" is a file name.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
