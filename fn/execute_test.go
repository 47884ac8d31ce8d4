package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/internal/testspec"
	"github.com/meshwright/meshwright/schema"
)

// TestExecuteIsTheProcessor holds Execute, which the binary runs, to
// framework.Execute with Processor, which TestProcessor holds to the cases'
// expected.yaml: the same list (items in order, functionConfig, results)
// and the same error, for every case in testdata/, for generated platforms,
// for items whose file annotations come in each of kyaml's formats, and for
// a plain YAML stream.
func TestExecuteIsTheProcessor(t *testing.T) {
	type input struct {
		name, dir, list string
	}
	var inputs []input
	cases, err := filepath.Glob("testdata/*/input.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases (%v)", err)
	}
	for _, c := range cases {
		dir, err := filepath.Abs(filepath.Dir(c))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{filepath.Base(dir), dir, withConfig(t, dir)})
	}
	for _, dir := range testspec.SpecDirs(t, "..") {
		files, err := meshwright.ReadFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{name: dir, list: specList(t, files)})
	}
	for _, seed := range []int64{1, 2, 3} {
		files := specgen.Files(specgen.Options{Tenants: 15, Services: 4, Seed: seed})
		inputs = append(inputs, input{name: fmt.Sprintf("specgen seed %d", seed), list: specList(t, files)})
	}
	for _, ann := range []map[string]string{
		nil,
		{"config.kubernetes.io/path": "spec.yaml"},
		{"internal.config.kubernetes.io/path": "spec.yaml"},
		{"config.kubernetes.io/path": "spec.yaml", "internal.config.kubernetes.io/path": "spec.yaml"},
	} {
		list := resourceList(t, annotated(t, testspec.Mesh, ann), annotated(t, testspec.Tenant, ann))
		inputs = append(inputs, input{name: fmt.Sprintf("items annotated %v", ann), list: list})
	}
	inputs = append(inputs,
		// framework.Execute routes it to kyaml's stream writer; so must Execute
		input{name: "plain stream", list: testspec.Mesh + "---\n" + testspec.Tenant},
		// results of an earlier function stay when this one has none
		input{name: "results in the input", list: resourceList(t, annotated(t, testspec.Mesh, nil), annotated(t, testspec.Tenant, nil)) +
			"results:\n- message: from an earlier function\n  severity: info\n"},
		// items whose annotations disagree: the render's results, then kyaml's error
		input{name: "inconsistent file annotations", list: resourceList(t,
			annotated(t, testspec.Mesh, map[string]string{"config.kubernetes.io/path": "mesh.yaml"}),
			annotated(t, fnBrokenTenant, map[string]string{"internal.config.kubernetes.io/path": "tenant.yaml"}))},
	)

	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			if in.dir != "" {
				t.Chdir(in.dir) // data.sources are relative to the working directory
			}
			var want bytes.Buffer
			var wantResults framework.Results
			wantErr := framework.Execute(framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
				err := Processor{}.Process(rl)
				wantResults = rl.Results
				return err
			}), &kio.ByteReadWriter{Reader: strings.NewReader(in.list), Writer: &want, KeepReaderAnnotations: true})
			var got bytes.Buffer
			gotResults, gotErr := Execute(strings.NewReader(in.list), &got)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("error = %v, want %v", gotErr, wantErr)
			}
			// what the binary prints on stderr
			if !reflect.DeepEqual(gotResults, wantResults) {
				t.Errorf("results = %v, want %v", gotResults, wantResults)
			}
			if g, w := decodeAll(t, got.String()), decodeAll(t, want.String()); !reflect.DeepEqual(g, w) {
				t.Errorf("Execute wrote\n%s\nframework.Execute with Processor wrote\n%s", got.String(), want.String())
			}
			// kpt writes the items back to the user's files: their comments too
			if g, w := commentLines(got.String()), commentLines(want.String()); !reflect.DeepEqual(g, w) {
				t.Errorf("comments: Execute wrote %q, framework.Execute with Processor %q", g, w)
			}
		})
	}
}

// specList is a ResourceList of the documents in files, as kpt lists a
// package.
func specList(t *testing.T, files []schema.File) string {
	t.Helper()
	var items []*yaml.RNode
	for _, f := range files {
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(f.Data), OmitReaderAnnotations: true}).Read()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			if err := n.PipeE(yaml.SetAnnotation("config.kubernetes.io/path", f.Path)); err != nil {
				t.Fatal(err)
			}
			items = append(items, n)
		}
	}
	return resourceList(t, items...)
}

// withConfig is a case's input with its config.yaml as the functionConfig.
func withConfig(t *testing.T, dir string) string {
	t.Helper()
	list, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return string(list)
	}
	if err != nil {
		t.Fatal(err)
	}
	rl := yaml.MustParse(string(list))
	if err := rl.PipeE(yaml.SetField("functionConfig", yaml.MustParse(string(config)))); err != nil {
		t.Fatal(err)
	}
	return rl.MustString()
}

// commentLines are the comments on lines of their own, sorted.
func commentLines(s string) []string {
	var comments []string
	for line := range strings.Lines(s) {
		if c := strings.TrimSpace(line); strings.HasPrefix(c, "#") {
			comments = append(comments, c)
		}
	}
	slices.Sort(comments)
	return comments
}

// decodeAll is a YAML stream as plain values, for comparing what two
// writers meant rather than how each formatted it.
func decodeAll(t *testing.T, s string) []any {
	t.Helper()
	var docs []any
	d := yamlv3.NewDecoder(strings.NewReader(s))
	for {
		var v any
		err := d.Decode(&v)
		if err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%v in\n%s", err, s)
		}
		docs = append(docs, v)
	}
}
