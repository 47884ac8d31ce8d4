package diff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/schema"
)

// SpecAPIVersion is the apiVersion of meshwright's inputs: a side holding a
// document of it is a spec, rendered before it is compared.
const SpecAPIVersion = "meshwright.dev/v1alpha1"

// SpecError is returned for a spec meshwright refuses to render: every
// diagnostic of the attempt, warnings included, each printed on its own line
// as file:line:col: field.path: message [code].
type SpecError struct {
	Diagnostics schema.Diagnostics
}

func (e *SpecError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads one side from a file or directory (read recursively, *.yaml and
// *.yml in lexical order, as meshwright render reads its inputs).
//
// If any document is a meshwright.dev/v1alpha1 Mesh or Tenant, the path is a
// spec: it is rendered, exactly as meshwright render would, and its other
// documents (a kpt package's Kptfile and rendered/ tree, say) are skipped as
// render skips them. A spec with errors returns a *SpecError.
//
// Otherwise the path is rendered output, a tree written by render -o or kpt,
// or a YAML stream (render's stdout, kustomize build): every document is an
// object. meshwright's manifest of written files (.meshwright-files) is not
// read, and the annotations IgnoredAnnotation names are removed.
func Load(path string) ([]Object, error) {
	files, err := meshwright.ReadFiles(path)
	if err != nil {
		return nil, err
	}
	return loadFiles(files)
}

func loadFiles(files []schema.File) ([]Object, error) {
	kept := files[:0:0]
	for _, f := range files {
		if filepath.Base(filepath.FromSlash(f.Path)) != encode.ManifestName {
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 && len(files) > 0 {
		return nil, fmt.Errorf("%s is meshwright's list of written files, not objects: give its directory", files[0].Path)
	}
	files = kept
	parsed := make([][]document, len(files))
	errs := make([]error, len(files))
	parallel(len(files), 16, func(i int) { parsed[i], errs[i] = parseDocuments(files[i]) })
	var docs []document
	var parseErr error
	spec := false
	for i, f := range files {
		docs = append(docs, parsed[i]...)
		for _, d := range parsed[i] {
			if apiVersion, _ := d.value["apiVersion"].(string); apiVersion == SpecAPIVersion {
				spec = true
			}
		}
		if errs[i] != nil {
			// A spec being edited may not parse: let the loader locate it.
			if specPattern.Match(f.Data) {
				spec = true
			}
			parseErr = cmpOr(parseErr, errs[i])
		}
	}
	if spec {
		return renderSpec(files)
	}
	if parseErr != nil {
		return nil, parseErr
	}
	objs := make([]Object, 0, len(docs))
	for _, d := range docs {
		v := normalize(d.value)
		if _, err := identity(v); err != nil {
			return nil, fmt.Errorf("%s: %w", d.origin, err)
		}
		objs = append(objs, Object{Source: sourceOf(v), Origin: d.origin, Value: v})
	}
	if _, err := index(objs); err != nil {
		return nil, err
	}
	return objs, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// specPattern finds a meshwright apiVersion in a file YAML cannot parse.
var specPattern = regexp.MustCompile(`(?m)^\s*apiVersion:\s*["']?meshwright\.dev/v1alpha1["']?\s*(#.*)?$`)

func renderSpec(files []schema.File) ([]Object, error) {
	rendered, diags := meshwright.Render(files)
	if diags.Err() != nil {
		return nil, &SpecError{Diagnostics: diags}
	}
	// encoded on every core, as encode.Objects does: at platform scale this
	// is most of loading a spec
	objs := make([]Object, len(rendered))
	errs := make([]error, len(rendered))
	parallel(len(rendered), 256, func(i int) {
		o := rendered[i]
		v, err := encode.Plain(o)
		source := o.GetAnnotations()[AnnotationSource]
		objs[i], errs[i] = Object{Source: source, Origin: "rendered from " + source, Value: v}, err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return objs, nil
}

func sourceOf(v map[string]any) string {
	md, _ := v["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	s, _ := ann[AnnotationSource].(string)
	return s
}

type document struct {
	origin string
	value  map[string]any
}

// parseDocuments reads every non-empty YAML document of a file as plain
// values. Timestamps stay strings (as Kubernetes reads them through JSON),
// numbers are int64 or float64 as the encoder writes them.
func parseDocuments(f schema.File) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	var docs []document
	for i := 0; ; i++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		origin := fmt.Sprintf("%s (document %d)", f.Path, i+1)
		if err != nil {
			return docs, fmt.Errorf("%s: %w", origin, err)
		}
		if len(node.Content) == 0 || node.Content[0].ShortTag() == "!!null" {
			continue // empty document: comments, or a separator alone
		}
		timestampsAsStrings(&node)
		var v any
		if err := node.Decode(&v); err != nil {
			return docs, fmt.Errorf("%s: %w", origin, err)
		}
		m, ok := plain(v).(map[string]any)
		if !ok {
			return docs, fmt.Errorf("%s: not a Kubernetes object (a YAML mapping)", origin)
		}
		docs = append(docs, document{origin: origin, value: m})
	}
}

func timestampsAsStrings(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!timestamp" {
		n.Tag = "!!str"
	}
	for _, c := range n.Content {
		timestampsAsStrings(c)
	}
}

// plain turns what yaml.v3 decodes into the values Object.Value holds.
func plain(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = plain(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = plain(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = plain(e)
		}
		return t
	}
	return scalar(v)
}

// parallel runs do(0) … do(n-1) on every core, each worker taking at least
// perWorker of them, so small inputs stay on one goroutine.
func parallel(n, perWorker int, do func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/perWorker+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				do(i)
			}
		})
	}
	wg.Wait()
}
