package fn

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshwright/meshwright/schema"
)

// diagnosticResults turns every diagnostic into a KRM result that names the
// resource, the field and the user's file, in the order schema sorted them.
func diagnosticResults(diags []schema.Diagnostic, inputs []*krmInput) framework.Results {
	results := make(framework.Results, 0, len(diags))
	for _, d := range diags {
		results = append(results, diagnosticResult(d, inputFor(inputs, d)))
	}
	return results
}

func diagnosticResult(d schema.Diagnostic, in *krmInput) *framework.Result {
	r := &framework.Result{Severity: severity(d.Severity), Message: resultMessage(d, in)}
	if d.Code != "" {
		// kpt shows tags; scripts filter on the stable code
		r.Tags = map[string]string{"code": string(d.Code)}
	}
	if len(d.Path) > 0 {
		r.Field = &framework.Field{Path: d.Path.String()}
	}
	switch {
	case in != nil:
		r.ResourceRef = resourceRef(in.node.GetApiVersion(), in.node.GetKind(), in.node.GetNamespace(), in.node.GetName())
		if in.path != "" {
			r.File = &framework.File{Path: in.path, Index: in.index}
		}
	case d.Resource != "":
		kind, name, _ := strings.Cut(d.Resource, "/")
		r.ResourceRef = resourceRef(schema.APIVersion, kind, "", name)
	}
	if in == nil && d.File != "" {
		r.File = &framework.File{Path: d.File} // read from data.sources
	}
	return r
}

func resourceRef(apiVersion, kind, namespace, name string) *yaml.ResourceIdentifier {
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: apiVersion, Kind: kind},
		NameMeta: yaml.NameMeta{Name: name, Namespace: namespace},
	}
}

func severity(s schema.Severity) framework.Severity {
	if s == schema.SeverityWarning {
		return framework.Warning
	}
	return framework.Error
}

// resultMessage is the diagnostic as the CLI prints it, file:line:col:
// field: message, with a line only where it is a line the user can open or,
// under kpt, said to be one of the resource. kustomize re-serialises
// resources (keys sorted, patches applied): their lines are no help.
func resultMessage(d schema.Diagnostic, in *krmInput) string {
	switch {
	case in == nil && d.File == "":
		return strings.TrimPrefix(d.String(), ": ")
	case in == nil, in.fileLines:
		return d.String()
	}
	if in.source != nil {
		if line, col := in.source.locate(d.Path); line > 0 {
			d.File, d.Line, d.Column = in.path, line, col
			d.Message += fmt.Sprintf(" (the field's line in the file: %s changed %s before meshwright read it)", in.changedBy, in.resource())
			return d.String()
		}
	}
	line := d.Line
	d.File, d.Line, d.Column = in.displayName(), 0, 0
	if line > 0 && in.unmapped != "" {
		d.Message += fmt.Sprintf(" (line %d of %s as the function received it, not of the file: %s)", line, in.resource(), in.unmapped)
	}
	return d.String()
}
