package load

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadFilesSkipsWhatIsNotInput: hidden directories and rendered trees
// sit in spec repositories; reading them gave a warning per file on every
// run.
func TestReadFilesSkipsWhatIsNotInput(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"mesh.yaml":                         "kind: Mesh\n",
		"tenants/shop.yaml":                 "kind: Tenant\n",
		".github/workflows/ci.yaml":         "on: push\n",
		"rendered/" + RenderedTreeManifest:  "namespace-shop.yaml\n",
		"rendered/namespace-shop.yaml":      "kind: Namespace\n",
		"tenants/.drafts/next.yaml":         "kind: Tenant\n",
		"tenants/rendered-not-a-tree/x.yml": "kind: Tenant\n",
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ReadFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f.Path)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"mesh.yaml", "tenants/rendered-not-a-tree/x.yml", "tenants/shop.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("read %v, want %v", got, want)
	}
	// named explicitly, a hidden directory is read
	if files, err := ReadFiles(filepath.Join(dir, "tenants", ".drafts")); err != nil || len(files) != 1 {
		t.Errorf("an explicit hidden directory: %d files, %v", len(files), err)
	}
}
