// Package load reads Mesh and Tenant documents, validates them against the
// CUE schema (cueschema), decodes them into the schema types, applies the
// defaults that depend on another document and runs the rules that span
// documents. What it returns is complete and consistent; the renderer
// trusts it.
package load

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/meshwright/meshwright/internal/parallel"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/cueschema"
	"github.com/meshwright/meshwright/schema/rules"
)

// Load reads YAML files and directories (see ReadFiles) and returns the
// validated Spec. On any error it returns nil and an Errors holding every
// problem found, warnings included.
func Load(paths ...string) (*schema.Spec, error) {
	files, err := ReadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return Parse(files...)
}

// ReadFiles expands directories (recursively, *.yaml and *.yml in lexical
// order, leaving out hidden directories and rendered trees) and reads every
// input file.
func ReadFiles(paths ...string) ([]schema.File, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no input files given")
	}
	var files []schema.File
	for _, p := range paths {
		names, err := yamlFiles(p)
		if err != nil {
			return nil, err
		}
		read, err := readAll(names)
		if err != nil {
			return nil, err
		}
		files = append(files, read...)
	}
	return files, nil
}

// readAll reads the named files on every core (one file per tenant makes
// 10,000 reads) and fails with the first that cannot be read, as reading
// them in order would.
func readAll(names []string) ([]schema.File, error) {
	files := make([]schema.File, len(names))
	errs := make([]error, len(names))
	parallel.ForEach(len(names), workersFor(len(names)), func(_, i int) {
		files[i].Path = names[i]
		if files[i].Data, errs[i] = os.ReadFile(names[i]); errs[i] != nil {
			errs[i] = fmt.Errorf("reading input: %w", errs[i])
		}
	})
	if err := cmp.Or(errs...); err != nil {
		return nil, err
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
		if d.IsDir() && p != root && skipDir(p, d.Name()) {
			return filepath.SkipDir
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

// RenderedTreeManifest is the file meshwright render -o (encode.ManifestName)
// keeps in a tree it writes; a directory holding it is output, not input.
const RenderedTreeManifest = ".meshwright-files"

// skipDir tells the directories a spec tree may hold that are not input:
// hidden ones (.git, .github) and rendered trees, which would otherwise
// yield a warning per rendered object on every run.
func skipDir(path, name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	_, err := os.Stat(filepath.Join(path, RenderedTreeManifest))
	return err == nil
}

// Parse validates in-memory files; see Load.
func Parse(files ...schema.File) (*schema.Spec, error) {
	spec, diags := Spec(files)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	spec.Warnings = diags
	return spec, nil
}

// Spec validates in-memory files and returns every diagnostic, warnings
// included; the Spec is nil when any is an error.
func Spec(files []schema.File) (*schema.Spec, schema.Diagnostics) {
	var diags schema.Diagnostics
	var docs []*document
	for _, split := range splitAll(files) {
		docs = append(docs, split.docs...)
		diags = append(diags, split.diags...)
	}
	inputs, err := validateAll(docs)
	if err != nil {
		// the embedded schema does not compile: a bug, not the user's input
		return nil, append(diags, schema.Diagnostic{Severity: schema.SeverityError, Code: schema.CodeSchema, Message: err.Error()})
	}
	spec := &schema.Spec{}
	var meshes []*schema.Mesh
	meshDocs := 0
	for _, in := range inputs {
		diags = append(diags, in.diags...)
		switch {
		case in.kind == schema.KindMesh:
			meshDocs++
			if in.mesh != nil {
				meshes = append(meshes, in.mesh)
			}
		case in.tenant != nil:
			spec.Tenants = append(spec.Tenants, in.tenant)
		}
	}
	if diags.Err() == nil {
		// with errors, a missing Mesh may only be unreadable: say nothing
		diags = append(diags, oneMesh(files, meshDocs, meshes)...)
	}
	if meshDocs == 1 && len(meshes) == 1 {
		spec.Mesh = meshes[0]
		applyDefaults(spec)
		diags = append(diags, rules.Check(spec)...)
	}
	diags.Sort()
	if diags.Err() != nil {
		return nil, diags
	}
	return spec, diags
}

// input is one document after validation: its kind, and the decoded Mesh
// or Tenant, or the diagnostics that refused it.
type input struct {
	kind   string
	mesh   *schema.Mesh
	tenant *schema.Tenant
	diags  []schema.Diagnostic
}

// split is one file's documents and syntax problems.
type split struct {
	docs  []*document
	diags []schema.Diagnostic
}

// splitAll parses the files on every core, results in file order.
func splitAll(files []schema.File) []split {
	out := make([]split, len(files))
	parallel.ForEach(len(files), workersFor(len(files)), func(_, i int) {
		out[i].docs, out[i].diags = splitDocuments(files[i].Path, files[i].Data)
	})
	return out
}

// validateAll validates the documents on every core, each worker with its
// own compiled schema (a CUE context serves one goroutine at a time), and
// returns the results in document order.
func validateAll(docs []*document) ([]input, error) {
	validators, err := cueschema.Validators(workersFor(len(docs)))
	if err != nil {
		return nil, err
	}
	inputs := make([]input, len(docs))
	parallel.ForEach(len(docs), len(validators), func(worker, i int) {
		inputs[i] = validateDocument(validators[worker], docs[i])
	})
	return inputs, nil
}

// workersFor keeps small inputs on one goroutine (compiling another schema
// costs more than validating a few documents) and large ones on every core.
func workersFor(items int) int {
	const minItemsPerWorker = 32
	return max(1, min(runtime.GOMAXPROCS(0), items/minItemsPerWorker))
}

func validateDocument(v *cueschema.Validator, doc *document) input {
	kind, diag := identify(doc)
	in := input{kind: kind}
	cdoc := cueschema.Document{Kind: kind, Resource: doc.resource(), Value: doc.value, Origin: doc.Origin}
	switch {
	case diag != nil:
		in.diags = []schema.Diagnostic{*diag}
	case kind == schema.KindMesh:
		m := &schema.Mesh{Origin: doc.Origin}
		if in.diags = v.Validate(cdoc, m); len(in.diags) == 0 {
			in.mesh = m
		}
	case kind == schema.KindTenant:
		t := &schema.Tenant{Origin: doc.Origin}
		if in.diags = v.Validate(cdoc, t); len(in.diags) == 0 {
			in.tenant = t
		}
	}
	return in
}

// identify tells which input kind a document is. Documents of other API
// groups are skipped with a warning, so a directory may hold other manifests.
func identify(doc *document) (string, *schema.Diagnostic) {
	group, _, _ := strings.Cut(doc.apiVersion, "/")
	if group != "meshwright.dev" {
		what := doc.apiVersion + " " + doc.kind
		if doc.name != "" {
			what += " " + doc.name
		}
		d := doc.Locate(schema.SeverityWarning, schema.CodeForeignDocument, nil, fmt.Sprintf("ignoring %s: not a %s Mesh or Tenant", strings.TrimSpace(what), schema.APIVersion))
		return "", &d
	}
	if doc.apiVersion != schema.APIVersion {
		d := doc.Locate(schema.SeverityError, schema.CodeUnsupportedVersion, schema.Path{"apiVersion"}, fmt.Sprintf("unsupported version %q: this meshwright reads %s", doc.apiVersion, schema.APIVersion))
		return "", &d
	}
	if doc.kind != schema.KindMesh && doc.kind != schema.KindTenant {
		d := doc.Locate(schema.SeverityError, schema.CodeUnknownKind, schema.Path{"kind"}, fmt.Sprintf("unknown kind %q: must be %s or %s", doc.kind, schema.KindMesh, schema.KindTenant))
		return "", &d
	}
	return doc.kind, nil
}

// oneMesh refuses a render without a Mesh or with several.
func oneMesh(files []schema.File, docs int, meshes []*schema.Mesh) []schema.Diagnostic {
	switch {
	case docs == 1 || len(meshes) < 2 && docs > 0:
		// one Mesh, or the others failed validation and are reported already
		return nil
	case docs == 0:
		file := ""
		if len(files) > 0 {
			file = files[0].Path
		}
		return []schema.Diagnostic{{Severity: schema.SeverityError, Code: schema.CodeNoMesh, File: file, Message: "no Mesh found: a render needs exactly one Mesh"}}
	}
	var diags []schema.Diagnostic
	first := meshes[0].Origin
	for _, m := range meshes[1:] {
		msg := fmt.Sprintf("a second Mesh %q: a render takes exactly one (the first, %q, is in %s)", m.Metadata.Name, meshes[0].Metadata.Name, first.File)
		d := m.Origin.Locate(schema.SeverityError, schema.CodeSecondMesh, schema.Path{"kind"}, msg)
		d.Resource = "Mesh/" + m.Metadata.Name
		diags = append(diags, d)
	}
	return diags
}
