package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the kustomize goldens in testdata/golden from the current output (review the diff!)")

// repoRoot is the meshwright checkout the tests run from.
const repoRoot = ".."

// binary is meshwright, built once for all tests from the code under test.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "meshwright-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "bin", "meshwright")
	// built as make image builds it: static, so it runs anywhere
	build := exec.Command("go", "build", "-trimpath", "-o", binary, "./cmd/meshwright")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building meshwright: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tool finds an external program the tests run. Outside CI a missing tool
// skips the test (with how to get it); in CI it fails it, so a
// misconfigured machine cannot pass by running nothing.
func tool(t *testing.T, name string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			abs, err := filepath.Abs(p)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	msg := fmt.Sprintf("%s not found (looked for %s): run make tools, or make test which builds it", name, strings.Join(candidates, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func kpt(t *testing.T) string { return tool(t, "kpt", "kpt") }

func kustomize(t *testing.T) string {
	return tool(t, "kustomize v5.8.2", os.Getenv("KUSTOMIZE"), filepath.Join(repoRoot, ".cache", "bin", "kustomize"))
}

// result is what a command printed and how it exited.
type result struct {
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("error: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// command runs name in dir with the extra environment and a PATH starting
// with the directory holding the meshwright under test.
func command(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("%s$ %s %s (%v)", dir, filepath.Base(name), strings.Join(args, " "), err)
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// copyTree copies the files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := writeFile(target, b); err != nil {
			return err
		}
		return os.Chmod(target, info.Mode().Perm()) // keep executables executable
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}

func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, b, 0o644)
}

// readTree returns every file under root by slash-separated relative path.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", root, err)
	}
	return files
}

// subtree is the part of a tree under dir/, with paths relative to it.
func subtree(tree map[string]string, dir string) map[string]string {
	out := map[string]string{}
	for name, data := range tree {
		if rel, ok := strings.CutPrefix(name, dir+"/"); ok {
			out[rel] = data
		}
	}
	return out
}

// without is the tree without the files under dir/.
func without(tree map[string]string, dir string) map[string]string {
	out := map[string]string{}
	for name, data := range tree {
		if !strings.HasPrefix(name, dir+"/") {
			out[name] = data
		}
	}
	return out
}

// diffTrees describes every file missing, extra or different; "" when equal.
func diffTrees(want, got map[string]string) string {
	var b strings.Builder
	for _, name := range sortedKeys(want) {
		g, ok := got[name]
		switch {
		case !ok:
			fmt.Fprintf(&b, "%s: missing\n", name)
		case g != want[name]:
			fmt.Fprintf(&b, "%s differs:\n--- want\n%s--- got\n%s", name, want[name], g)
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			fmt.Fprintf(&b, "%s: unexpected\n", name)
		}
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cliTree is what `meshwright render -o` writes for the inputs: the tree
// the function must produce under rendered/ too.
func cliTree(t *testing.T, inputs ...string) map[string]string {
	t.Helper()
	out := t.TempDir()
	r := command(t, ".", nil, binary, append([]string{"render", "-o", out}, inputs...)...)
	if r.err != nil {
		t.Fatalf("meshwright render: %s", r)
	}
	tree := readTree(t, out)
	delete(tree, ".meshwright-files")
	if len(tree) == 0 {
		t.Fatal("meshwright render wrote nothing")
	}
	return tree
}

// kptfileWith is a package's Kptfile whose pipeline runs mutators (YAML
// list items, indented under mutators:).
func kptfileWith(mutators string) string {
	return `apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: mesh
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
  mutators:
` + mutators
}

// kptPackage lays out a kpt package in a new directory: the Kptfile and
// unrelated.yaml of testdata/package, and the Mesh and Tenants of
// overlays/base. kptfile, when set, replaces the Kptfile.
func kptPackage(t *testing.T, kptfile string) string {
	t.Helper()
	pkg := filepath.Join(t.TempDir(), "mesh")
	copyTree(t, "testdata/package", pkg)
	copyTree(t, filepath.Join(repoRoot, "overlays", "base", "tenants"), filepath.Join(pkg, "tenants"))
	mesh, err := os.ReadFile(filepath.Join(repoRoot, "overlays", "base", "mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(pkg, "mesh.yaml"), mesh); err != nil {
		t.Fatal(err)
	}
	if kptfile != "" {
		if err := writeFile(filepath.Join(pkg, "Kptfile"), []byte(kptfile)); err != nil {
			t.Fatal(err)
		}
	}
	return pkg
}

// checkRendered fails unless pkg/rendered is exactly what the CLI renders
// from the package's inputs, and every other file is as it was before.
func checkRendered(t *testing.T, pkg string, before map[string]string) {
	t.Helper()
	after := readTree(t, pkg)
	want := cliTree(t, filepath.Join(pkg, "mesh.yaml"), filepath.Join(pkg, "tenants"))
	if d := diffTrees(want, subtree(after, "rendered")); d != "" {
		t.Errorf("rendered/ is not what meshwright render -o writes:\n%s", d)
	}
	if d := diffTrees(without(before, "rendered"), without(after, "rendered")); d != "" {
		t.Errorf("files outside rendered/ changed:\n%s", d)
	}
}

// breakTenant adds an unknown field to the first namespace of
// tenants/bookinfo.yaml and returns the line it is on.
func breakTenant(t *testing.T, pkg string) int {
	t.Helper()
	return insertAfter(t, filepath.Join(pkg, "tenants", "bookinfo.yaml"), "    - name: bookinfo", "      bogus: true")
}

// insertAfter inserts a line after the first line equal to after and
// returns the number of the inserted line.
func insertAfter(t *testing.T, name, after, line string) int {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if l == after {
			lines = append(lines[:i+1], append([]string{line}, lines[i+1:]...)...)
			if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			return i + 2
		}
	}
	t.Fatalf("%s has no line %q", name, after)
	return 0
}
