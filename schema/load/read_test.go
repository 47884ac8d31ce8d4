package load

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestReadFilesReportsTheFirstUnreadableFile reads many files on every core
// and still names the first that cannot be read, in the order of the inputs.
func TestReadFilesReportsTheFirstUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	for i := range 200 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%03d.yaml", i)), []byte("kind: Tenant\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"t150-gone.yaml", "t050-gone.yaml"} { // links to nothing
		if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ReadFiles(dir)
	if err == nil || !strings.Contains(err.Error(), "reading input: ") || !strings.Contains(err.Error(), "t050-gone.yaml") {
		t.Fatalf("read %d files, error %v; want one naming t050-gone.yaml", len(files), err)
	}
	// a later path that cannot be expanded does not hide it
	for _, later := range []string{filepath.Join(dir, "nonexistent"), t.TempDir()} {
		if _, err := ReadFiles(dir, later); err == nil || !strings.Contains(err.Error(), "t050-gone.yaml") {
			t.Errorf("ReadFiles(dir, %s): %v, want the error naming t050-gone.yaml", later, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "t050-gone.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "t150-gone.yaml")); err != nil {
		t.Fatal(err)
	}
	files, err = ReadFiles(dir)
	if err != nil || len(files) != 200 || files[7].Path != filepath.Join(dir, "t007.yaml") || string(files[7].Data) != "kind: Tenant\n" {
		t.Fatalf("read %d files (the eighth %+v), error %v", len(files), files[min(7, len(files)-1)], err)
	}
}
