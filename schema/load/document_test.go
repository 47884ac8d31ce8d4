package load

import (
	"testing"

	"github.com/meshwright/meshwright/schema"
)

// TestDocumentsLocateInTheirFile: the Origins of a file's documents, which
// keep no node tree, place fields where the file has them, counting empty
// documents in the index as the decoder does.
func TestDocumentsLocateInTheirFile(t *testing.T) {
	data := "# head\napiVersion: v1\nkind: A\n" +
		"---\n" +
		"--- {apiVersion: v1, kind: B, spec: {x: [1, 2]}}\n" +
		"...\n%YAML 1.1\n---\napiVersion: v1\nkind: C\nspec: &s\n  x: [3]\n" +
		"---\r\napiVersion: v1\r\nkind: D\r\nspec: *s\r\n"
	docs, diags := splitDocuments("in.yaml", []byte(data))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	tests := []struct {
		index int
		path  string
		line  int
		col   int
	}{
		{0, "kind", 3, 1},
		{0, "spec.x", 2, 1}, // a missing field, at its parent
		{2, "kind", 5, 22},
		{2, "spec.x[1]", 5, 45},
		{3, "kind", 10, 1},
		{3, "spec.x[0]", 12, 7},
		{4, "kind", 15, 1},
		{4, "spec.x[0]", 12, 7}, // through the alias, in the document before
	}
	if len(docs) != 4 {
		t.Fatalf("%d documents, want 4", len(docs))
	}
	byIndex := map[int]*document{}
	for _, d := range docs {
		byIndex[d.Index] = d
	}
	for _, tt := range tests {
		d := byIndex[tt.index]
		if d == nil {
			t.Errorf("no document %d", tt.index)
			continue
		}
		if line, col := d.Position(schema.ParsePath(tt.path)); line != tt.line || col != tt.col || d.File != "in.yaml" {
			t.Errorf("document %d, %s: %s:%d:%d, want in.yaml:%d:%d", tt.index, tt.path, d.File, line, col, tt.line, tt.col)
		}
	}
}
