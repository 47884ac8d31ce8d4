package meshwright_test

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/internal/testspec"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// goldenCases are the directories holding spec/ (input) and rendered/ (the
// reviewed output, one file per object).
func goldenCases(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, spec := range testspec.SpecDirs(t, ".") {
		dirs = append(dirs, filepath.Dir(spec))
	}
	return dirs
}

// caseName names a golden case by its path below examples/ or testdata/golden/.
func caseName(dir string) string {
	for _, root := range []string{"examples/", "testdata/golden/"} {
		if rel, ok := strings.CutPrefix(filepath.ToSlash(dir), root); ok {
			return rel
		}
	}
	return dir
}

func renderDir(t *testing.T, dir string) []render.Object {
	t.Helper()
	files, err := meshwright.ReadFiles(filepath.Join(dir, "spec"))
	if err != nil {
		t.Fatal(err)
	}
	return renderFiles(t, files)
}

func TestGolden(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(caseName(dir), func(t *testing.T) {
			objs := renderDir(t, dir)
			want := filepath.Join(dir, "rendered")
			if *update {
				if err := encode.WriteTree(want, objs); err != nil {
					t.Fatal(err)
				}
				return
			}
			got := t.TempDir()
			if err := encode.WriteTree(got, objs); err != nil {
				t.Fatal(err)
			}
			compareTrees(t, want, got)
		})
	}
}

// compareTrees fails for every file missing, extra or different.
func compareTrees(t *testing.T, want, got string) {
	t.Helper()
	wantFiles, gotFiles := readTree(t, want), readTree(t, got)
	for _, name := range slices.Sorted(maps.Keys(wantFiles)) {
		g, ok := gotFiles[name]
		switch {
		case !ok:
			t.Errorf("%s: no longer rendered", name)
		case !bytes.Equal(wantFiles[name], g):
			t.Errorf("%s differs (run make golden and review the diff):\n--- want\n%s\n--- got\n%s", name, wantFiles[name], g)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(gotFiles)) {
		if _, ok := wantFiles[name]; !ok {
			t.Errorf("%s: rendered but not in the golden tree", name)
		}
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", root, err)
	}
	return files
}

// TestDeterministic renders every case twice, once with the input files in
// reverse order, and expects the same bytes.
func TestDeterministic(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(caseName(dir), func(t *testing.T) {
			files, err := meshwright.ReadFiles(filepath.Join(dir, "spec"))
			if err != nil {
				t.Fatal(err)
			}
			first := encodeStream(t, renderFiles(t, files))
			reversed := make([]schema.File, len(files))
			for i, f := range files {
				reversed[len(files)-1-i] = f
			}
			if second := encodeStream(t, renderFiles(t, reversed)); !bytes.Equal(first, second) {
				t.Errorf("output depends on input order or varies between runs:\n%s\n---- vs ----\n%s", first, second)
			}
		})
	}
}

// TestStreamIsTheRender holds what the binary writes, inputs rendered on
// every core and encoded as rendered (RenderEach, encode.Documents), to the
// stream of Render's objects: every case, and a generated platform whole
// and as a shard.
func TestStreamIsTheRender(t *testing.T) {
	type streamCase struct {
		files []schema.File
		opts  []meshwright.Option
	}
	cases := map[string]streamCase{}
	for _, dir := range goldenCases(t) {
		files, err := meshwright.ReadFiles(filepath.Join(dir, "spec"))
		if err != nil {
			t.Fatal(err)
		}
		cases[caseName(dir)] = streamCase{files: files}
	}
	platform := specgen.Files(specgen.Options{Tenants: 60, Services: 4})
	cases["specgen"] = streamCase{files: platform}
	cases["specgen shard"] = streamCase{platform, []meshwright.Option{meshwright.Tenants("team-0003", "team-0040"), meshwright.WithoutMesh()}}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			objs, diags := meshwright.Render(c.files, c.opts...)
			if err := diags.Err(); err != nil {
				t.Fatal(err)
			}
			var docs encode.Documents
			if err := meshwright.RenderEach(c.files, docs.Add, c.opts...).Err(); err != nil {
				t.Fatal(err)
			}
			var streamed bytes.Buffer
			if _, err := docs.WriteTo(&streamed); err != nil {
				t.Fatal(err)
			}
			if want := encodeStream(t, objs); !bytes.Equal(streamed.Bytes(), want) {
				t.Errorf("the stream differs from the render's objects (%d bytes against %d)", streamed.Len(), len(want))
			}
			if docs.Len() != len(objs) || len(objs) == 0 {
				t.Errorf("%d documents for %d objects", docs.Len(), len(objs))
			}
		})
	}
}

func renderFiles(t *testing.T, files []schema.File) []render.Object {
	t.Helper()
	objs, diags := meshwright.Render(files)
	for _, d := range diags {
		t.Log(d)
	}
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return objs
}

func encodeStream(t *testing.T, objs []render.Object) []byte {
	t.Helper()
	out, err := encode.Stream(objs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCanaryUpgradeDiff checks that the two steps of the canary example
// differ exactly where the upgrade should: the old revision's IstioOperator
// goes, the new one takes the stable tag, the gateways and the CNI, and only
// the namespace that tried the canary changes its label. Namespaces that
// follow the stable tag do not change at all.
func TestCanaryUpgradeDiff(t *testing.T) {
	before := readTree(t, "examples/canary-upgrade/before/rendered")
	after := readTree(t, "examples/canary-upgrade/after/rendered")
	const iopDir = "mesh/platform/istio-system/"
	want := map[string]string{
		".meshwright-files": "changed",
		iopDir + "istiooperator-installed-state-1-30-2.yaml": "removed",
		iopDir + "istiooperator-installed-state-1-31-0.yaml": "changed",
		"tenant/sleep/_cluster/namespace-sleep.yaml":         "changed",
	}
	got := map[string]string{}
	for name, b := range before {
		switch a, ok := after[name]; {
		case !ok:
			got[name] = "removed"
		case !bytes.Equal(a, b):
			got[name] = "changed"
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			got[name] = "added"
		}
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s by the upgrade, which should not touch it", name, g)
		}
	}
	iop := string(after[iopDir+"istiooperator-installed-state-1-31-0.yaml"])
	for _, s := range []string{"revisionTags:\n      - stable", "cni:\n      enabled: true", "- enabled: true\n        k8s:"} {
		if !strings.Contains(iop, s) {
			t.Errorf("after: the 1.31.0 IstioOperator lacks %q", s)
		}
	}
}

// TestRenderedTreesAreNotInput: the loader recognises the trees the encoder
// writes by their manifest.
func TestRenderedTreesAreNotInput(t *testing.T) {
	if encode.ManifestName != load.RenderedTreeManifest {
		t.Errorf("encode writes %q, load skips directories holding %q", encode.ManifestName, load.RenderedTreeManifest)
	}
}
