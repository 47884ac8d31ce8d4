package report_test

import (
	"os"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/report"
	"github.com/meshwright/meshwright/schema"
)

// Report what validation found as GitHub Actions annotations, as
// `meshwright validate --format github` does.
func ExampleWrite() {
	files := []schema.File{{Path: "mesh.yaml", Data: []byte(`apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata:
  name: platform
spec:
  domain: example.com
  controlPlane:
    hub: registry.example.com/istio
    revisions:
      - version: 1.30.2
    replicas: 3
`)}}
	_, diags := meshwright.Render(files)
	if err := report.Write(os.Stdout, diags, report.Options{Format: report.GitHub}); err != nil {
		panic(err)
	}
	// Output:
	// ::error file=mesh.yaml,line=11,col=5,title=MW0100 unknown-field::spec.controlPlane.replicas: field not allowed
}
