// Package conformance checks rendered meshwright output against the upstream
// systems that will consume it: every custom resource against its CRD's
// OpenAPI v3 schema with the Kubernetes API server's own structural-schema
// validation, every built-in object by strict decoding into k8s.io/api types
// and apimachinery's metadata validation, and (in the tests) every tree with
// the real istioctl.
//
// The checks read the committed rendered trees, so a reviewer's golden files
// and what the checks accept are always the same bytes.
package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Doc is one object read from a YAML file.
type Doc struct {
	File   string // the file it was read from
	Index  int    // its position among the file's documents, from 0
	JSON   []byte // the document as JSON, for strict decoding into typed structs
	Object *unstructured.Unstructured
}

// String names the document for messages.
func (d Doc) String() string {
	return fmt.Sprintf("%s[%d] %s %s", d.File, d.Index, d.Object.GetKind(), namespacedName(d.Object))
}

func namespacedName(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetName()
	}
	return u.GetNamespace() + "/" + u.GetName()
}

// RenderedTrees returns the committed rendered trees under the repository
// root: every directory named "rendered" below examples/ and testdata/golden/
// (examples/canary-upgrade holds two, before/ and after/), sorted. It fails
// when there is none, so a moved tree cannot make every check pass vacuously.
func RenderedTrees(root string) ([]string, error) {
	var trees []string
	for _, top := range []string{"examples", filepath.Join("testdata", "golden")} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "rendered" {
				trees = append(trees, path)
				return filepath.SkipDir
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing rendered trees: %w", err)
		}
	}
	if len(trees) == 0 {
		return nil, fmt.Errorf("no rendered trees under %s", root)
	}
	sort.Strings(trees)
	return trees, nil
}

// OverlayOutputs returns the committed outputs of the kustomize overlays
// that run meshwright as a KRM function (e2e/testdata/golden/*.yaml): what
// is applied once the overlays' patches are in. There may be none.
func OverlayOutputs(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "e2e", "testdata", "golden", "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("listing overlay outputs: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

// TreeName is a rendered tree's (or output file's) short name, also the name
// of its workload fixture directory: "reference-architecture" for
// examples/reference-architecture/rendered, "canary-upgrade-before" for
// examples/canary-upgrade/before/rendered, "golden-minimal" for
// testdata/golden/minimal/rendered, "e2e-kustomize-prod" for
// e2e/testdata/golden/kustomize-prod.yaml.
func TreeName(root, tree string) string {
	dir := strings.TrimSuffix(tree, filepath.Ext(tree))
	if filepath.Base(tree) == "rendered" {
		dir = filepath.Dir(tree)
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		rel = dir
	}
	rel = filepath.ToSlash(rel)
	rel = strings.TrimPrefix(rel, "examples/")
	if r, ok := strings.CutPrefix(rel, "testdata/golden/"); ok {
		rel = "golden-" + r
	}
	if r, ok := strings.CutPrefix(rel, "e2e/testdata/golden/"); ok {
		rel = "e2e-" + r
	}
	return strings.ReplaceAll(rel, "/", "-")
}

// ReadTree returns every document of every YAML file under dir (or of dir
// itself, a file), in lexical file order. Files of other extensions (the .meshwright-files manifest) are
// not Kubernetes objects and are left out.
func ReadTree(dir string) ([]Doc, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isYAML(path) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading tree %s: %w", dir, err)
	}
	sort.Strings(files)
	var docs []Doc
	for _, f := range files {
		fileDocs, err := ReadFile(f)
		if err != nil {
			return nil, err
		}
		docs = append(docs, fileDocs...)
	}
	return docs, nil
}

func isYAML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

// ReadFile returns the documents of one YAML file. Duplicate keys are errors,
// as they are for the API server's strict field validation.
func ReadFile(path string) ([]Doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return ParseDocs(path, b)
}

// ParseDocs splits a YAML stream into documents; empty documents are skipped.
func ParseDocs(name string, b []byte) ([]Doc, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var docs []Doc
	for i := 0; ; i++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: splitting documents: %w", name, err)
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			continue
		}
		doc, err := parseDoc(name, len(docs), raw)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
}

func parseDoc(name string, index int, raw []byte) (Doc, error) {
	j, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return Doc{}, fmt.Errorf("%s[%d]: %w", name, index, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		return Doc{}, fmt.Errorf("%s[%d]: not a Kubernetes object: %w", name, index, err)
	}
	return Doc{File: name, Index: index, JSON: j, Object: u}, nil
}

// DocOf is a Go object (a rendered object, typically) as a Doc, for
// validating objects without writing them out.
func DocOf(name string, obj any) (Doc, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return Doc{}, fmt.Errorf("%s: encoding: %w", name, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		return Doc{}, fmt.Errorf("%s: not a Kubernetes object: %w", name, err)
	}
	return Doc{File: name, JSON: j, Object: u}, nil
}

// stripComments drops comment lines, so a document holding only comments
// counts as empty.
func stripComments(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
