// Package fn is meshwright as a KRM function, for kpt and kustomize:
// Processor takes the Mesh and Tenants among a ResourceList's items (or as
// its functionConfig, or from the files its ConfigMap's data.sources names)
// and returns the items with the rendered objects, replacing those an
// earlier run rendered. Problems become KRM results that point at the
// user's file, line and field. Execute is Processor for a whole
// ResourceList stream, as the binary runs it, writing the rendered objects
// as they are encoded.
package fn

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
)

// defaultOutputDir is where, inside a kpt package, the generated objects'
// files go: one directory that is exactly the current render.
const defaultOutputDir = "rendered"

// annotationPackagePath is where kpt says the package it read lives; with it
// the function reads the user's files to report lines in them.
const annotationPackagePath = "internal.config.kubernetes.io/package-path"

// Processor is the KRM function, a framework.ResourceListProcessor: run it
// with framework.Execute.
type Processor struct{}

// Process replaces the objects meshwright generated earlier with a fresh
// render of the Mesh and Tenants in the list. On any error it leaves the
// items exactly as they came, so kpt writes nothing, and returns the
// results.
func (Processor) Process(rl *framework.ResourceList) error {
	j, err := newJob(rl)
	if err != nil {
		return err
	}
	docs, err := j.render(rl, fileAnnotations)
	if err != nil {
		return err
	}
	generated, err := parsedItems(docs)
	if err != nil {
		return err
	}
	kept, err := j.keptItems()
	if err != nil {
		return err
	}
	rl.Items = append(kept, generated...)
	return nil
}

// job is one run of the function, read from its ResourceList: what it
// renders and which items it keeps.
type job struct {
	opts   krmOptions
	inputs []*krmInput
	// files are the inputs and data.sources, as the pipeline reads them.
	files []schema.File
	// kept are the items that stay: all but the objects this run renders
	// again.
	kept []*yaml.RNode
}

// newJob reads the list's functionConfig and inputs; a setting the function
// cannot run with is a result, and the error is rl.Results.
func newJob(rl *framework.ResourceList) (*job, error) {
	opts, configInputs, err := functionConfig(rl.FunctionConfig)
	if err != nil {
		rl.Results = append(rl.Results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		return nil, rl.Results
	}
	kept := withoutGenerated(rl.Items, opts.replaces)
	inputs, err := collectInputs(kept, configInputs)
	if err != nil {
		return nil, err
	}
	files, err := opts.sourceFiles()
	if err != nil {
		rl.Results = append(rl.Results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		return nil, rl.Results
	}
	return &job{opts: opts, inputs: inputs, files: append(inputFiles(inputs), files...), kept: kept}, nil
}

// report adds the render's diagnostics to the results; when they hold an
// error it returns the results, and the items stay as they came.
func (j *job) report(rl *framework.ResourceList, diags schema.Diagnostics) error {
	rl.Results = append(rl.Results, diagnosticResults(diags, j.inputs)...)
	if diags.Err() != nil {
		return rl.Results
	}
	return nil
}

// keptItems are the kept items of a run that succeeded, its input items
// marked local-config: they go before the rendered objects.
func (j *job) keptItems() ([]*yaml.RNode, error) {
	for _, in := range j.inputs {
		if err := in.markLocalConfig(); err != nil {
			return nil, err
		}
	}
	return j.kept, nil
}

// inputFiles are the inputs as the files the pipeline reads.
func inputFiles(inputs []*krmInput) []schema.File {
	files := make([]schema.File, len(inputs))
	for i, in := range inputs {
		files[i] = in.file
	}
	return files
}

// krmOptions are the function's settings, from a ConfigMap functionConfig.
type krmOptions struct {
	// outputDir is the directory, relative to the package, that holds one
	// file per generated object.
	outputDir string
	// tenants and withoutMesh render a shard (data.tenants, data.mesh).
	tenants     []string
	withoutMesh bool
	// sources are files and directories the function reads its inputs
	// from, besides the items (data.sources): as a kustomize generator it
	// renders a shard without kustomize holding every Tenant as a resource.
	sources []string
}

// sourceFiles reads data.sources, relative to the working directory (under
// kustomize, the directory of the kustomization that declares the
// function), as `meshwright render PATH...` reads its paths.
func (o krmOptions) sourceFiles() ([]schema.File, error) {
	if len(o.sources) == 0 {
		return nil, nil
	}
	files, err := meshwright.ReadFiles(o.sources...)
	if err != nil {
		return nil, fmt.Errorf("functionConfig data.sources: %w", err)
	}
	return files, nil
}

// render are the pipeline's options for these settings.
func (o krmOptions) render() []meshwright.Option {
	var opts []meshwright.Option
	if o.tenants != nil {
		opts = append(opts, meshwright.Tenants(o.tenants...))
	}
	if o.withoutMesh {
		opts = append(opts, meshwright.WithoutMesh())
	}
	return opts
}

// replaces tells whether a generated object with this source is rendered
// again by this run: a shard leaves the other shards' objects alone.
func (o krmOptions) replaces(source string) bool {
	kind, name, _ := strings.Cut(source, "/")
	switch {
	case kind == schema.KindMesh:
		return !o.withoutMesh
	case o.tenants == nil:
		return true
	}
	return slices.Contains(o.tenants, name)
}

// functionConfig reads the function's settings and the inputs it carries.
// A Mesh (kustomize generator), a Tenant, or a List of them are inputs; a
// ConfigMap holds settings; no functionConfig (kpt) is fine.
func functionConfig(fc *yaml.RNode) (krmOptions, []*yaml.RNode, error) {
	opts := krmOptions{outputDir: defaultOutputDir}
	if fc == nil || yaml.IsMissingOrNull(fc) || isEmptyMap(fc) {
		return opts, nil, nil
	}
	switch {
	case isInput(fc):
		return opts, []*yaml.RNode{fc}, nil
	case fc.GetKind() == "ConfigMap":
		err := opts.fromData(fc.GetDataMap())
		return opts, nil, err
	case fc.GetKind() == "List":
		items, err := fc.Pipe(yaml.Lookup("items"))
		if err != nil || items == nil {
			return opts, nil, fmt.Errorf("functionConfig List: no items")
		}
		elems, err := items.Elements()
		if err != nil {
			return opts, nil, fmt.Errorf("functionConfig List items: %w", err)
		}
		for _, e := range elems {
			if !isInput(e) {
				return opts, nil, fmt.Errorf("functionConfig List holds %s %s: it may hold only %s Mesh and Tenant", e.GetApiVersion(), e.GetKind(), schema.APIVersion)
			}
		}
		return opts, elems, nil
	}
	return opts, nil, fmt.Errorf("functionConfig is %s %s: want a %s Mesh or Tenant, a List of them, or a ConfigMap with settings (data.outputDir, data.tenants, data.mesh, data.sources)",
		fc.GetApiVersion(), fc.GetKind(), schema.APIVersion)
}

func isEmptyMap(n *yaml.RNode) bool {
	return n.YNode().Kind == yaml.MappingNode && len(n.Content()) == 0
}

// fromData reads the ConfigMap settings; unknown keys are errors, like
// unknown fields in a Mesh.
func (o *krmOptions) fromData(data map[string]string) error {
	for k, v := range data {
		switch k {
		case "outputDir":
			dir := path.Clean(v)
			if v == "" || !filepath.IsLocal(filepath.FromSlash(dir)) && dir != "." {
				return fmt.Errorf("functionConfig data.outputDir %q: must be a relative path inside the package", v)
			}
			o.outputDir = dir
		case "tenants":
			tenants, err := listSetting(v)
			if err != nil {
				return fmt.Errorf("functionConfig data.tenants %q: want a list of tenant names: %w", v, err)
			}
			o.tenants = tenants
		case "sources":
			sources, err := listSetting(v)
			if err != nil || len(sources) == 0 {
				return fmt.Errorf("functionConfig data.sources %q: want files or directories, e.g. \"../spec/mesh.yaml, ../spec/tenants\"", v)
			}
			o.sources = sources
		case "mesh":
			mesh, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("functionConfig data.mesh %q: must be true or false", v)
			}
			o.withoutMesh = !mesh
		default:
			return fmt.Errorf("functionConfig data.%s: unknown setting (known: outputDir, tenants, mesh, sources)", k)
		}
	}
	return nil
}

// listSetting reads a list in a ConfigMap string: YAML ("[a, b]") or
// separated by commas ("a, b"). Empty is an empty list, not none: for
// data.tenants, the shard of the Mesh's objects alone.
func listSetting(v string) ([]string, error) {
	var names []string
	if strings.HasPrefix(strings.TrimSpace(v), "[") {
		if err := yaml.Unmarshal([]byte(v), &names); err != nil {
			return nil, err
		}
	} else {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// isInput tells a Mesh or Tenant (any meshwright.dev document: the schema
// reports wrong kinds and versions) from everything else.
func isInput(n *yaml.RNode) bool {
	group, _, _ := strings.Cut(n.GetApiVersion(), "/")
	return group == "meshwright.dev"
}

// isGenerated tells the objects an earlier run rendered: they carry both the
// managed-by label and the source annotation.
func isGenerated(n *yaml.RNode) bool {
	_, hasSource := n.GetAnnotations()[render.AnnotationSource]
	return hasSource && n.GetLabels()[render.LabelManagedBy] == render.ManagedBy
}

func withoutGenerated(items []*yaml.RNode, replaced func(source string) bool) []*yaml.RNode {
	kept := make([]*yaml.RNode, 0, len(items))
	for _, n := range items {
		if !isGenerated(n) || !replaced(n.GetAnnotations()[render.AnnotationSource]) {
			kept = append(kept, n)
		}
	}
	return kept
}

// render renders the job's inputs into YAML documents, in render's order,
// each object annotated with its file under the output directory (the
// annotation pairs given) and written with the bytes `meshwright render -o`
// writes. The diagnostics go to rl.Results; an error among them is the
// error.
func (j *job) render(rl *framework.ResourceList, pairs [][2]string) ([][]byte, error) {
	var docs encode.Documents
	diags := meshwright.RenderEach(j.files, func(source int, objs []render.Object) {
		for _, o := range objs {
			withFileAnnotations(o, j.opts.outputDir, pairs)
		}
		docs.Add(source, objs)
	}, j.opts.render()...)
	if err := j.report(rl, diags); err != nil {
		return nil, err
	}
	return docs.Sorted()
}

// parsedItems are the rendered documents as items.
func parsedItems(docs [][]byte) ([]*yaml.RNode, error) {
	items := make([]*yaml.RNode, 0, len(docs))
	for _, doc := range docs {
		n, err := yaml.Parse(string(doc))
		if err != nil {
			return nil, fmt.Errorf("reading back a rendered object: %w\n%s", err, doc)
		}
		items = append(items, n)
	}
	return items, nil
}

// fileAnnotations are the pairs of annotations that name an item's file and
// its place in it: kyaml's and the legacy ones.
var fileAnnotations = [][2]string{
	{kioutil.LegacyPathAnnotation, kioutil.LegacyIndexAnnotation},
	{kioutil.PathAnnotation, kioutil.IndexAnnotation},
}

// withFileAnnotations annotates a rendered object with the file kpt writes
// it to, under dir, with the pairs of annotations given. kpt and kustomize
// remove these annotations from what they write.
func withFileAnnotations(o render.Object, dir string, pairs [][2]string) render.Object {
	file := path.Join(dir, encode.Path(o))
	annotations := maps.Clone(o.GetAnnotations()) // renderers may share one map
	if annotations == nil {
		annotations = map[string]string{}
	}
	for _, pair := range pairs {
		annotations[pair[0]] = file
		annotations[pair[1]] = "0"
	}
	// the encoder indents lists under their key; kpt keeps that when told
	annotations[kioutil.SeqIndentAnnotation] = "wide"
	o.SetAnnotations(annotations)
	return o
}
