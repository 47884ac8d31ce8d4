package meshwright_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/render"
)

var update = flag.Bool("update", false, "rewrite the reviewed outputs (rendered/ trees, errors.txt, warnings.txt) from the current code; review the diff")

// TestRefusals runs the pipeline on every case of testdata/invalid/. Each
// case's errors.txt is the reviewed expectation: every diagnostic, located
// as file:line:col, paths relative to the case directory. A refused input
// renders nothing. The cases run here, not in schema, because some
// refusals (two inputs rendering one object) are found by render.
func TestRefusals(t *testing.T) {
	cases, err := filepath.Glob("testdata/invalid/*")
	if err != nil || len(cases) < 15 {
		t.Fatalf("want at least 15 invalid cases, found %d (%v)", len(cases), err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			objs, got := renderCase(t, dir)
			if objs != nil {
				t.Errorf("refused input rendered %d objects", len(objs))
			}
			if !strings.Contains(got, "[MW") {
				t.Errorf("no diagnostic has a code:\n%s", got)
			}
			expectFile(t, filepath.Join(dir, "errors.txt"), got)
		})
	}
}

// TestWarnings runs the pipeline on testdata/warnings/: problems that are
// reported without failing. warnings.txt is the reviewed expectation.
func TestWarnings(t *testing.T) {
	cases, err := filepath.Glob("testdata/warnings/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no warning cases found (%v)", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			objs, got := renderCase(t, dir)
			if len(objs) == 0 {
				t.Error("a spec with warnings rendered nothing")
			}
			expectFile(t, filepath.Join(dir, "warnings.txt"), got)
		})
	}
}

// renderCase renders the files of dir and returns the objects and the
// diagnostics as printed, one per line, with paths relative to dir.
func renderCase(t *testing.T, dir string) ([]render.Object, string) {
	t.Helper()
	files, err := meshwright.ReadFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := meshwright.Render(files)
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(strings.ReplaceAll(d.String(), dir+string(filepath.Separator), ""))
		b.WriteByte('\n')
	}
	return objs, b.String()
}

// expectFile compares got with a reviewed expectation file, or rewrites it
// under -update.
func expectFile(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden to create it, then review it)", err)
	}
	if got != string(want) {
		t.Errorf("diagnostics differ from %s:\n--- want\n%s--- got\n%s", path, want, got)
	}
}
