package meshwright_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mayImport is the data flow of the README, package by package: what each
// package of the product may import from this module. Tests are free.
var mayImport = map[string][]string{
	"internal/parallel": {}, // a worker pool, below everything
	"schema":            {},
	"schema/cueschema":  {"schema"},
	"schema/rules":      {"schema"},
	"schema/load":       {"schema", "schema/cueschema", "schema/rules", "internal/parallel"},
	"schema/jsonschema": {"schema", "schema/cueschema"},
	"render":            {"schema", "internal/parallel"},
	"encode":            {"render", "internal/parallel"},
	".":                 {"schema", "schema/load", "render"},
	"fn":                {".", "schema", "render", "encode"},
	"graph":             {"schema"},
	"diff":              {".", "schema", "render", "encode"},
	"report":            {"schema"},
	"cmd/meshwright":    {".", "fn", "schema", "render", "encode", "report", "schema/jsonschema", "diff", "graph"},
}

// TestLayout keeps the product's imports flowing one way, and every main
// package under cmd/.
func TestLayout(t *testing.T) {
	const module = "github.com/meshwright/meshwright"
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); path != "." && err == nil {
			return filepath.SkipDir // another module: the tools the tests build (tools/apiserver)
		}
		pkgs, err := parser.ParseDir(token.NewFileSet(), path, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(path)
		for name, pkg := range pkgs {
			if name == "main" && !strings.HasPrefix(dir, "cmd/") {
				t.Errorf("%s: package main outside cmd/", dir)
			}
			allowed, product := mayImport[dir]
			if !product {
				continue
			}
			for file, f := range pkg.Files {
				for _, imp := range f.Imports {
					p, _ := strconv.Unquote(imp.Path.Value)
					rel, ours := strings.CutPrefix(p, module)
					if !ours {
						continue
					}
					rel = strings.TrimPrefix(rel, "/")
					if rel == "" {
						rel = "."
					}
					if !slices.Contains(allowed, rel) {
						t.Errorf("%s imports %s: %s may import only %v", file, rel, dir, allowed)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range mayImport {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("mayImport names %s, which does not exist", dir)
		}
	}
}
