package diff

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a repository in a temporary directory, isolated from the
// machine's git configuration, and returns it with a function that runs git
// in it.
func gitRepo(t *testing.T) (string, func(args ...string)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com",
			"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("init", "-q")
	return dir, run
}

func TestLoadAtRevision(t *testing.T) {
	repo, git := gitRepo(t)
	spec := filepath.Join(repo, "platform", "spec")
	rendered := filepath.Join(repo, "platform", "rendered")
	stream := filepath.Join(repo, "platform", "stream.yaml")

	// first commit: the Mesh and shop; second: shop on another port, blog added
	writeFiles(t, spec, map[string]string{"mesh.yaml": specMesh, "tenants/shop.yaml": specShop})
	renderTo(t, spec, rendered, stream)
	git("add", "-A")
	git("commit", "-q", "-m", "first")
	writeFiles(t, spec, map[string]string{
		"tenants/shop.yaml": strings.Replace(specShop, "port: 8080", "port: 9090", 1),
		"tenants/blog.yaml": specBlog,
	})
	renderTo(t, spec, rendered, stream)
	git("add", "-A")
	git("commit", "-q", "-m", "second")

	want := `Tenant/blog: 4 added, 0 changed, 0 removed
Tenant/shop: 0 added, 1 changed, 0 removed
Unchanged: Mesh/platform

Tenant/blog
  added   AuthorizationPolicy blog/allow-nothing
  added   Namespace blog
  added   NetworkPolicy blog/deny-by-default
  added   Sidecar blog/default

Tenant/shop
  changed VirtualService shop/web
    ~ spec.http[0].route[0].destination.port.number: 8080 → 9090
`
	now := mustLoad(t, spec)
	for _, tc := range []struct {
		name, repoDir, rev, path string
	}{
		{"spec relative to the top", repo, "HEAD~1", "platform/spec"},
		{"spec relative to a subdirectory", filepath.Join(repo, "platform"), "HEAD~1", "spec"},
		{"absolute path", filepath.Join(repo, "platform", "spec"), "main~1", spec},
		{"rendered tree", repo, "HEAD~1", "platform/rendered"},
		{"stream file", filepath.Join(repo, "platform"), "HEAD^", "stream.yaml"},
		{"with a trailing slash and dots", repo, "HEAD~1", "./platform/../platform/spec/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, err := LoadAtRevision(tc.repoDir, tc.rev, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			got := text(t, mustCompare(t, old, now))
			if got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}

	t.Run("HEAD is the work tree", func(t *testing.T) {
		for _, path := range []string{"platform/spec", "platform/rendered", "platform"} {
			head, err := LoadAtRevision(repo, "HEAD", path)
			if err != nil {
				t.Fatal(err)
			}
			if r := mustCompare(t, head, now); !r.Empty() {
				t.Errorf("%s at HEAD differs from the work tree:\n%s", path, text(t, r))
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		if _, err := LoadAtRevision(repo, "HEAD~1", "platform/missing"); !errors.Is(err, fs.ErrNotExist) ||
			!strings.Contains(err.Error(), "HEAD~1:platform/missing") {
			t.Errorf("missing path: %v", err)
		}
		if _, err := LoadAtRevision(repo, "no-such-branch", "platform/spec"); err == nil || !strings.Contains(err.Error(), `"no-such-branch" is not a commit`) {
			t.Errorf("unknown revision: %v", err)
		}
		if _, err := LoadAtRevision(repo, "--all", "platform/spec"); err == nil || !strings.Contains(err.Error(), "invalid git revision") {
			t.Errorf("option as revision: %v", err)
		}
		if _, err := LoadAtRevision(repo, "HEAD", "../elsewhere"); err == nil || !strings.Contains(err.Error(), "not inside the repository") {
			t.Errorf("path outside: %v", err)
		}
		if _, err := LoadAtRevision(t.TempDir(), "HEAD", "."); err == nil {
			t.Error("no repository: no error")
		}
	})

	t.Run("spec errors name the revision", func(t *testing.T) {
		writeFiles(t, spec, map[string]string{"tenants/shop.yaml": strings.Replace(specShop, "port:", "portt:", 1)})
		git("commit", "-q", "-a", "-m", "broken")
		_, err := LoadAtRevision(repo, "HEAD", "platform/spec")
		var se *SpecError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "HEAD:platform/spec/tenants/shop.yaml:") {
			t.Errorf("error: %v", err)
		}
	})
}

func TestLoadAtRevisionRefusesSymlinks(t *testing.T) {
	repo, git := gitRepo(t)
	writeFiles(t, repo, map[string]string{"spec/mesh.yaml": specMesh})
	if err := os.Symlink("mesh.yaml", filepath.Join(repo, "spec", "link.yaml")); err != nil {
		t.Skip(err)
	}
	git("add", "-A")
	git("commit", "-q", "-m", "link")
	if _, err := LoadAtRevision(repo, "HEAD", "spec"); err == nil || !strings.Contains(err.Error(), "HEAD:spec/link.yaml is a symbolic link") {
		t.Errorf("error: %v", err)
	}
}
