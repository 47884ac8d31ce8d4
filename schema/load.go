// Package schema is meshwright's input contract: it reads Mesh and Tenant
// documents, validates them against the embedded CUE schema, applies the
// defaults and runs the checks that span documents. What it returns is
// complete and consistent; the renderer trusts it.
package schema

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Spec is one validated render input: exactly one Mesh and its Tenants, in
// the order they were read.
type Spec struct {
	Mesh    *Mesh
	Tenants []*Tenant
	// Warnings are problems that do not stop the render.
	Warnings []Diagnostic
}

// File is an input file's name and contents.
type File struct {
	Path string
	Data []byte
}

// Load reads YAML files and directories (recursively, *.yaml and *.yml in
// lexical order) and returns the validated Spec. On any error it returns nil
// and an Errors holding every problem found, warnings included.
func Load(paths ...string) (*Spec, error) {
	files, err := ReadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return Parse(files...)
}

// ReadFiles expands directories and reads every input file.
func ReadFiles(paths ...string) ([]File, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no input files given")
	}
	var files []File
	for _, p := range paths {
		names, err := yamlFiles(p)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("reading input: %w", err)
			}
			files = append(files, File{Path: name, Data: data})
		}
	}
	return files, nil
}

func yamlFiles(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	if !info.IsDir() {
		return []string{root}, nil
	}
	var names []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(p))
		if !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading input directory: %w", err)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("reading input: no *.yaml or *.yml files in %s", root)
	}
	return names, nil
}

// Parse validates in-memory files; see Load.
func Parse(files ...File) (*Spec, error) {
	var diags []Diagnostic
	var docs []*document
	for _, split := range splitAll(files) {
		docs = append(docs, split.docs...)
		diags = append(diags, split.diags...)
	}
	inputs, err := validateAll(docs)
	if err != nil {
		return nil, err
	}
	spec := &Spec{}
	var meshes []*Mesh
	meshDocs := 0
	for _, in := range inputs {
		diags = append(diags, in.diags...)
		switch {
		case in.kind == KindMesh:
			meshDocs++
			if in.mesh != nil {
				meshes = append(meshes, in.mesh)
			}
		case in.tenant != nil:
			spec.Tenants = append(spec.Tenants, in.tenant)
		}
	}
	if !hasErrors(diags) {
		// with errors, a missing Mesh may only be unreadable: say nothing
		diags = append(diags, oneMesh(files, meshDocs, meshes)...)
	}
	if meshDocs == 1 && len(meshes) == 1 {
		spec.Mesh = meshes[0]
		applyDefaults(spec)
		diags = append(diags, check(spec)...)
	}
	return result(spec, diags)
}

func hasErrors(diags []Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// input is one document after validation: its kind, and the decoded Mesh
// or Tenant, or the diagnostics that refused it.
type input struct {
	kind   string
	mesh   *Mesh
	tenant *Tenant
	diags  []Diagnostic
}

// split is one file's documents and syntax problems.
type split struct {
	docs  []*document
	diags []Diagnostic
}

// splitAll parses the files on every core, results in file order.
func splitAll(files []File) []split {
	out := make([]split, len(files))
	forEach(len(files), workersFor(len(files)), func(_, i int) {
		out[i].docs, out[i].diags = splitDocuments(files[i].Path, files[i].Data)
	})
	return out
}

// validateAll validates the documents on every core, each worker with its
// own compiled schema (a CUE context serves one goroutine at a time), and
// returns the results in document order.
func validateAll(docs []*document) ([]input, error) {
	schemas, err := compiledSchemas(workersFor(len(docs)))
	if err != nil {
		return nil, err
	}
	inputs := make([]input, len(docs))
	forEach(len(docs), len(schemas), func(worker, i int) {
		inputs[i] = validateDocument(schemas[worker], docs[i])
	})
	return inputs, nil
}

// workersFor keeps small inputs on one goroutine (compiling another schema
// costs more than validating a few documents) and large ones on every core.
func workersFor(items int) int {
	const minItemsPerWorker = 32
	return max(1, min(runtime.GOMAXPROCS(0), items/minItemsPerWorker))
}

// forEach calls fn for the indexes 0..n-1 on the given number of goroutines;
// worker tells fn which goroutine runs it.
func forEach(n, workers int, fn func(worker, i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(w, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func validateDocument(c *compiled, doc *document) input {
	kind, diag := identify(doc)
	in := input{kind: kind}
	switch {
	case diag != nil:
		in.diags = []Diagnostic{*diag}
	case kind == KindMesh:
		m := &Mesh{Origin: doc.Origin}
		if in.diags = c.validate(doc, m); len(in.diags) == 0 {
			in.mesh = m
		}
	case kind == KindTenant:
		t := &Tenant{Origin: doc.Origin}
		if in.diags = c.validate(doc, t); len(in.diags) == 0 {
			in.tenant = t
		}
	}
	return in
}

// result splits diagnostics into the spec's warnings or a returned Errors.
func result(spec *Spec, diags []Diagnostic) (*Spec, error) {
	sortDiagnostics(diags)
	if hasErrors(diags) {
		return nil, Errors(diags)
	}
	spec.Warnings = diags
	return spec, nil
}

// identify tells which input kind a document is. Documents of other API
// groups are skipped with a warning, so a directory may hold other manifests.
func identify(doc *document) (string, *Diagnostic) {
	group, _, _ := strings.Cut(doc.apiVersion, "/")
	if group != "meshwright.dev" {
		what := doc.apiVersion + " " + doc.kind
		if doc.name != "" {
			what += " " + doc.name
		}
		d := doc.Locate(SeverityWarning, nil, fmt.Sprintf("ignoring %s: not a %s Mesh or Tenant", strings.TrimSpace(what), APIVersion))
		return "", &d
	}
	if doc.apiVersion != APIVersion {
		d := doc.Locate(SeverityError, Path{"apiVersion"}, fmt.Sprintf("unsupported version %q: this meshwright reads %s", doc.apiVersion, APIVersion))
		return "", &d
	}
	if doc.kind != KindMesh && doc.kind != KindTenant {
		d := doc.Locate(SeverityError, Path{"kind"}, fmt.Sprintf("unknown kind %q: must be %s or %s", doc.kind, KindMesh, KindTenant))
		return "", &d
	}
	return doc.kind, nil
}

// oneMesh refuses a render without a Mesh or with several.
func oneMesh(files []File, docs int, meshes []*Mesh) []Diagnostic {
	switch {
	case docs == 1 || len(meshes) < 2 && docs > 0:
		// one Mesh, or the others failed validation and are reported already
		return nil
	case docs == 0:
		file := ""
		if len(files) > 0 {
			file = files[0].Path
		}
		return []Diagnostic{{Severity: SeverityError, File: file, Message: "no Mesh found: a render needs exactly one Mesh"}}
	}
	var diags []Diagnostic
	first := meshes[0].Origin
	for _, m := range meshes[1:] {
		msg := fmt.Sprintf("a second Mesh %q: a render takes exactly one (the first, %q, is in %s)", m.Metadata.Name, meshes[0].Metadata.Name, first.File)
		d := m.Origin.Locate(SeverityError, Path{"kind"}, msg)
		d.Resource = "Mesh/" + m.Metadata.Name
		diags = append(diags, d)
	}
	return diags
}
