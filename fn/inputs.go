package fn

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
)

// krmInput is one Mesh or Tenant of a ResourceList, with what it takes to
// point the user at the line of their own file.
type krmInput struct {
	node *yaml.RNode
	// item: it came among the items, so it stays in the package (a
	// functionConfig is not part of the output).
	item  bool
	path  string // file in the package; "" when the tool does not say (kustomize)
	index int    // position of the document in that file
	// file is what schema.Parse reads. With fileLines it holds the user's own
	// document at its own lines, so every position (also those quoted inside
	// messages) is a position in the user's file; otherwise positions count
	// from the first line of the resource as the function received it.
	file                schema.File
	fileLines           bool
	firstLine, lastLine int // lines of file.Data that hold the document
	// unmapped says why positions are not the file's, when positions in
	// the resource are still worth giving (kpt keeps the user's formatting).
	unmapped string
	// source is the user's document when the resource differs from it (a
	// patch or an earlier function changed it): fields are located there.
	source    *sourceDocument
	changedBy string
}

// collectInputs gathers the Mesh and Tenants among the items and in the
// functionConfig. kpt passes a configPath file both ways: the item wins, it
// knows its file.
func collectInputs(items, config []*yaml.RNode) ([]*krmInput, error) {
	var inputs []*krmInput
	seen := map[string]bool{}
	for _, n := range items {
		if !isInput(n) {
			continue
		}
		in, err := newInput(n, true)
		if err != nil {
			return nil, err
		}
		seen[identity(n)] = true
		inputs = append(inputs, in)
	}
	for _, n := range config {
		if seen[identity(n)] {
			continue
		}
		in, err := newInput(n, false)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	nameFiles(inputs)
	return inputs, nil
}

func identity(n *yaml.RNode) string {
	return n.GetApiVersion() + "/" + n.GetKind() + "/" + n.GetNamespace() + "/" + n.GetName()
}

func newInput(n *yaml.RNode, item bool) (*krmInput, error) {
	in := &krmInput{node: n, item: item}
	pkg, kptLines := "", false
	ann := n.GetAnnotations()
	if in.path = firstOf(ann, kioutil.PathAnnotation, kioutil.LegacyPathAnnotation); in.path != "" {
		// kpt: it keeps the user's formatting, so lines in the resource mean something
		in.index, _ = strconv.Atoi(firstOf(ann, kioutil.IndexAnnotation, kioutil.LegacyIndexAnnotation))
		pkg, kptLines = ann[annotationPackagePath], true
	} else if in.path = originPath(ann[annotationOrigin]); in.path != "" {
		// kustomize with buildMetadata [originAnnotations]: relative to the
		// kustomization that declares the function, our working directory
		in.index = -1
	}
	text, err := userText(n)
	if err != nil {
		return nil, err
	}
	doc, reason := originalDocument(pkg, in.path, in.index, n)
	switch {
	case doc != nil && sameContent(doc.text, text):
		in.fileLines, in.index = true, doc.index
		in.firstLine, in.lastLine = doc.line, doc.line+strings.Count(doc.text, "\n")
		// blank lines put the document where it is in the user's file
		in.file.Data = []byte(strings.Repeat("\n", doc.line-1) + doc.text)
		return in, nil
	case doc != nil:
		in.source, in.index = doc, doc.index
		in.changedBy = "a kustomize patch or transformer"
		if kptLines {
			in.changedBy, reason = "an earlier function", "an earlier function changed it"
		}
	case in.index < 0:
		in.index = 0 // kustomize: the file holds no such resource any more
	}
	in.file.Data = []byte(text)
	in.firstLine, in.lastLine = 1, strings.Count(text, "\n")+1
	if kptLines {
		in.unmapped = reason
	}
	return in, nil
}

// annotationOrigin is where kustomize, asked to, records the file a
// resource came from.
const annotationOrigin = "config.kubernetes.io/origin"

func originPath(origin string) string {
	var o struct {
		Path string `yaml:"path"`
		Repo string `yaml:"repo"`
	}
	if origin == "" || yamlv3.Unmarshal([]byte(origin), &o) != nil || o.Repo != "" {
		return ""
	}
	return o.Path
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

// userText is the resource as the user wrote it: without the annotations
// kpt and kustomize add to track it, which would shift every line below them.
func userText(n *yaml.RNode) (string, error) {
	c := n.Copy()
	for k := range c.GetAnnotations() {
		if isToolAnnotation(k) {
			if err := c.PipeE(yaml.ClearAnnotation(k)); err != nil {
				return "", fmt.Errorf("reading %s: %w", identity(n), err)
			}
		}
	}
	if err := yaml.ClearEmptyAnnotations(c); err != nil {
		return "", fmt.Errorf("reading %s: %w", identity(n), err)
	}
	return c.String()
}

func isToolAnnotation(k string) bool {
	switch k {
	case kioutil.LegacyPathAnnotation, kioutil.LegacyIndexAnnotation, kioutil.LegacyIdAnnotation, annotationOrigin:
		return true
	}
	for _, prefix := range []string{"internal.config.kubernetes.io/", "kustomize.config.k8s.io/", "alpha.config.kubernetes.io/"} {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// sourceDocument is one document of a file on disk.
type sourceDocument struct {
	text  string
	line  int // where it starts
	index int // position among the file's documents
}

// originalDocument reads the document the resource came from: document
// index of file, or with index -1 the document of the same kind and name.
// Exec functions run where the files are; a container cannot see them.
// reason says why there is no document.
func originalDocument(pkg, file string, index int, n *yaml.RNode) (*sourceDocument, string) {
	if file == "" {
		return nil, ""
	}
	if !filepath.IsLocal(filepath.FromSlash(file)) && pkg != "" {
		return nil, "its path is outside the package"
	}
	data, err := os.ReadFile(filepath.Join(pkg, filepath.FromSlash(file)))
	if err != nil {
		return nil, "the function cannot read " + file
	}
	docs := splitSourceDocuments(string(data))
	if index >= 0 && index < len(docs) {
		return &docs[index], ""
	}
	for i := range docs {
		if index < 0 && docs[i].describes(n) {
			return &docs[i], ""
		}
	}
	return nil, fmt.Sprintf("%s holds no such document", file)
}

// describes tells whether the document is the resource, perhaps as it was
// before something changed it: the same kind and name.
func (d *sourceDocument) describes(n *yaml.RNode) bool {
	var v struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	return yamlv3.Unmarshal([]byte(d.text), &v) == nil && v.Kind == n.GetKind() && v.Metadata.Name == n.GetName()
}

// locate returns the line and column, in the file, of the deepest part of
// the field path that the document has; 0, 0 when it cannot tell.
func (d *sourceDocument) locate(p schema.Path) (int, int) {
	var root yamlv3.Node
	if yamlv3.Unmarshal([]byte(d.text), &root) != nil || len(root.Content) == 0 {
		return 0, 0
	}
	line, col := schema.NewOrigin("", d.index, root.Content[0]).Position(p)
	return line + d.line - 1, col
}

// documentSeparator is how kyaml, and so kpt, splits files into documents
// and counts config.kubernetes.io/index: empty documents do not count.
var documentSeparator = regexp.MustCompile(`\n---.*\n`)

func splitSourceDocuments(s string) []sourceDocument {
	var docs []sourceDocument
	add := func(start, end int) {
		text := s[start:end]
		var v any
		if yamlv3.Unmarshal([]byte(text), &v) != nil || v == nil {
			return
		}
		docs = append(docs, sourceDocument{text: text, line: 1 + strings.Count(s[:start], "\n"), index: len(docs)})
	}
	prev := 0
	for _, loc := range documentSeparator.FindAllStringIndex(s, -1) {
		add(prev, loc[0]+1)
		prev = loc[1]
	}
	add(prev, len(s))
	return docs
}

// sameContent tells whether two YAML texts hold the same data, whatever the
// formatting: then the user's file is what the function was given.
func sameContent(a, b string) bool {
	var va, vb any
	if yamlv3.Unmarshal([]byte(a), &va) != nil || yamlv3.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// nameFiles names each input's schema.File. The name shows up in messages
// ("owned by Tenant/blog (tenants/blog.yaml:17)"), so it is the user's file
// where possible, and unique otherwise so diagnostics map back to inputs.
func nameFiles(inputs []*krmInput) {
	count := map[string]int{}
	for _, in := range inputs {
		count[in.displayName()]++
	}
	seen := map[string]int{}
	for _, in := range inputs {
		name := in.displayName()
		switch {
		case in.fileLines, count[name] == 1:
		case in.path != "":
			name = fmt.Sprintf("%s[%d]", name, in.index)
		default:
			name = fmt.Sprintf("%s[%d]", name, seen[name])
			seen[in.displayName()]++
		}
		in.file.Path = name
	}
}

func (in *krmInput) displayName() string {
	if in.path != "" {
		return in.path
	}
	return in.resource()
}

// resource names the input as Kind/name.
func (in *krmInput) resource() string {
	return in.node.GetKind() + "/" + in.node.GetName()
}

// inputFor finds the input a diagnostic is about.
func inputFor(inputs []*krmInput, d schema.Diagnostic) *krmInput {
	var found *krmInput
	for _, in := range inputs {
		if in.file.Path != d.File {
			continue
		}
		if found == nil || in.firstLine <= d.Line && d.Line <= in.lastLine {
			found = in
		}
	}
	return found
}

// markLocalConfig keeps an input item out of what kpt and kustomize apply:
// a Mesh is not a cluster object.
func (in *krmInput) markLocalConfig() error {
	if !in.item || in.node.GetAnnotations()[render.AnnotationLocalConfig] == "true" {
		return nil
	}
	if err := in.node.PipeE(yaml.SetAnnotation(render.AnnotationLocalConfig, "true")); err != nil {
		return fmt.Errorf("annotating %s: %w", identity(in.node), err)
	}
	return nil
}
