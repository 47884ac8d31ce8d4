package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// writeGitHub prints one workflow command per diagnostic, which GitHub
// Actions shows as an annotation on the file and line:
//
//	::error file=tenants/shop.yaml,line=21,col=7,title=MW0100 unknown-field::spec.services[0].portt: field not allowed
//
// Properties that are unknown (no line, no code) are left out.
func writeGitHub(w io.Writer, diags schema.Diagnostics, opts Options) error {
	var b bytes.Buffer
	for _, d := range diags {
		command := "error"
		if d.Severity == schema.SeverityWarning {
			command = "warning"
		}
		var props []string
		if d.File != "" {
			props = append(props, "file="+escapeProperty(relative(d.File, opts.BaseDir)))
		}
		if d.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", d.Line))
			if d.Column > 0 {
				props = append(props, fmt.Sprintf("col=%d", d.Column))
			}
		}
		if d.Code != "" {
			title := string(d.Code)
			if name := codeName(d.Code); name != "" {
				title += " " + name
			}
			props = append(props, "title="+escapeProperty(title))
		}
		b.WriteString("::" + command)
		if len(props) > 0 {
			b.WriteString(" " + strings.Join(props, ","))
		}
		b.WriteString("::" + escapeData(fieldMessage(d)) + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// escapeData escapes a workflow command's message as the Actions toolkit
// does (@actions/core, command.ts): %, CR and LF.
var escapeData = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace

// escapeProperty escapes a property value: what escapeData does, and the
// separators : and , as well.
var escapeProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace
