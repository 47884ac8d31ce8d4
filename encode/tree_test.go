package encode

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/render"
)

func namespaceObject(source, name string) render.Object {
	return &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{render.AnnotationSource: source},
		},
	}
}

func treeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// TestWriteTreeKeepsExactlyTheCurrentRender renders twice into one
// directory: the second render's stale files and emptied directories go,
// a file meshwright did not write stays, unchanged files are not rewritten.
func TestWriteTreeKeepsExactlyTheCurrentRender(t *testing.T) {
	dir := t.TempDir()
	first := []render.Object{namespaceObject("Tenant/a", "a"), namespaceObject("Tenant/b", "b")}
	if err := WriteTree(dir, first); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "tenant", "b", "README.md")
	if err := os.WriteFile(foreign, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, "tenant", "a", "_cluster", "namespace-a.yaml")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(kept, old, old); err != nil {
		t.Fatal(err)
	}

	if err := WriteTree(dir, first[:1]); err != nil {
		t.Fatal(err)
	}
	want := []string{ManifestName, "tenant/a/_cluster/namespace-a.yaml", "tenant/b/README.md"}
	if got := treeFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("files after the second render: %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "tenant", "b", "_cluster")); !os.IsNotExist(err) {
		t.Errorf("the emptied directory tenant/b/_cluster is still there (%v)", err)
	}
	if info, err := os.Stat(kept); err != nil || !info.ModTime().Equal(old) {
		t.Errorf("an unchanged file was rewritten")
	}
}

func TestWriteTreeRefusesAManifestPointingOutside(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte("../outside.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteTree(dir, []render.Object{namespaceObject("Tenant/a", "a")}); err == nil {
		t.Error("WriteTree followed a manifest entry outside its directory")
	}
}

// TestDocumentsWriteTreeIsWriteTree: the tree `render -o` writes from the
// documents encoded as rendered, inputs arriving in any order, is the tree
// WriteTree writes from the objects, byte for byte.
func TestDocumentsWriteTreeIsWriteTree(t *testing.T) {
	files := specgen.Files(specgen.Options{Tenants: 6, Services: 4, Seed: 3})
	objs, diags := meshwright.Render(files)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	want := t.TempDir()
	if err := WriteTree(want, objs); err != nil {
		t.Fatal(err)
	}
	docs := Documents{Paths: true}
	var sources [][]render.Object
	if diags := meshwright.RenderEach(files, func(source int, objs []render.Object) {
		for len(sources) <= source {
			sources = append(sources, nil)
		}
		sources[source] = objs
	}); diags.Err() != nil {
		t.Fatal(diags.Err())
	}
	for i := len(sources) - 1; i >= 0; i-- { // the last input first
		docs.Add(i, sources[i])
	}
	got := t.TempDir()
	if err := docs.WriteTree(got); err != nil {
		t.Fatal(err)
	}
	wantFiles, gotFiles := treeFiles(t, want), treeFiles(t, got)
	if !slices.Equal(wantFiles, gotFiles) {
		t.Fatalf("files differ:\n got %v\nwant %v", gotFiles, wantFiles)
	}
	for _, f := range wantFiles {
		w, _ := os.ReadFile(filepath.Join(want, f))
		g, _ := os.ReadFile(filepath.Join(got, f))
		if string(w) != string(g) {
			t.Errorf("%s differs", f)
		}
	}
	if err := (&Documents{}).WriteTree(t.TempDir()); err == nil {
		t.Error("WriteTree wrote documents kept without their paths")
	}
}

// TestSortedDocumentsIsAStableSort holds the sort by rank and then on every
// core to a stable sort of every source's documents in order, over keys that
// tie often, kinds of several ranks (and one render does not know) and
// sources of every size, empty ones too.
func TestSortedDocumentsIsAStableSort(t *testing.T) {
	kinds := []struct{ apiVersion, kind string }{{"v1", "ConfigMap"}, {"v1", "Namespace"}, {"rbac.authorization.k8s.io/v1", "Role"}, {"example.com/v1", "Widget"}}
	var all []document
	var bySource [][]document
	for i := range 12000 {
		k := kinds[i*5%len(kinds)]
		o := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprint("ns-", i%3), Name: fmt.Sprint("n-", i*7%5)}}
		o.APIVersion, o.Kind = k.apiVersion, k.kind
		doc := document{key: render.KeyOf(o), data: []byte(fmt.Sprint(i))}
		if i%17 == 0 || i%97 == 0 {
			bySource = append(bySource, nil)
		}
		bySource[len(bySource)-1] = append(bySource[len(bySource)-1], doc)
		all = append(all, doc)
	}
	if ranks := rankCount(all); ranks < 3 {
		t.Fatalf("the documents have %d ranks, want several", ranks)
	}
	want := slices.Clone(all)
	slices.SortStableFunc(want, func(a, b document) int { return a.key.Compare(b.key) })
	got := sortedDocuments(bySource)
	if len(got) != len(want) {
		t.Fatalf("%d documents sorted, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i].data) != string(want[i].data) {
			t.Fatalf("document %d is %s, a stable sort puts %s there", i, got[i].data, want[i].data)
		}
	}
	if got := sortedDocuments(nil); len(got) != 0 {
		t.Errorf("no documents sorted into %d", len(got))
	}
}

func rankCount(docs []document) int {
	ranks := map[int]bool{}
	for _, d := range docs {
		ranks[d.key.Rank()] = true
	}
	return len(ranks)
}
