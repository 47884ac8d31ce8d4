package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewCommands runs the commands a pull-request reviewer sees, with
// the built binary, on the examples: the semantic diff of the canary
// upgrade, the traffic graph of every example, and diagnostics as GitHub
// workflow commands. Their outputs are reviewed goldens in
// testdata/golden/review/ (go test ./e2e -update rewrites them).
func TestReviewCommands(t *testing.T) {
	const canary = "examples/canary-upgrade"
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"diff of the canary upgrade", []string{"diff", canary + "/before/spec", canary + "/after/spec"}, 0, "diff-canary-upgrade.txt"},
		{"diff of the canary upgrade as a pull-request comment", []string{"diff", "--format", "markdown", canary + "/before/spec", canary + "/after/spec"}, 0, "diff-canary-upgrade.md"},
		{"diff of the rendered trees tells the same", []string{"diff", canary + "/before/rendered", canary + "/after/rendered"}, 0, "diff-canary-upgrade.txt"},
		{"diff --exit-code when something changed", []string{"diff", "--exit-code", canary + "/before/spec", canary + "/after/spec"}, 1, "diff-canary-upgrade.txt"},
		{"diff of a spec with itself", []string{"diff", "--exit-code", canary + "/after/spec", canary + "/after/rendered"}, 0, "diff-unchanged.txt"},
		{"graph of the reference architecture", []string{"graph", "examples/reference-architecture/spec"}, 0, "graph-reference-architecture.mmd"},
		{"graph of the multi-tenant example", []string{"graph", "examples/multi-tenant/spec"}, 0, "graph-multi-tenant.mmd"},
		{"graph of one tenant as DOT", []string{"graph", "--tenant", "shop", "--format", "dot", "examples/multi-tenant/spec"}, 0, "graph-multi-tenant-shop.dot"},
		{"graph after the canary upgrade", []string{"graph", canary + "/after/spec"}, 0, "graph-canary-upgrade-after.mmd"},
		{"validate a clean spec as GitHub annotations", []string{"validate", "--format", "github", "examples/multi-tenant/spec"}, 0, "github-clean.txt"},
		{"validate a refused spec as GitHub annotations", []string{"validate", "--format", "github", "testdata/invalid/host-exposed-twice"}, 1, "github-host-exposed-twice.txt"},
		{"validate with warnings as GitHub annotations", []string{"validate", "--format", "github", "testdata/warnings/mutual-without-client-ca"}, 0, "github-warnings.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runMeshwright(t, repoRoot, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, tt.code, stderr)
			}
			got := stdout
			if tt.args[0] == "validate" {
				got = stderr // diagnostics go to stderr; stdout stays empty
				if stdout != "" {
					t.Errorf("validate wrote to stdout: %q", stdout)
				}
			}
			checkGolden(t, filepath.Join("testdata", "golden", "review", tt.golden), got)
		})
	}
}

// TestDiffAgainstGit: diff --git REV PATH compares PATH at a commit with the
// working tree, as a CI job on a pull request runs it.
func TestDiffAgainstGit(t *testing.T) {
	git := tool(t, "git", "git")
	repo := t.TempDir()
	copyTree(t, filepath.Join(repoRoot, "examples/canary-upgrade/before/spec"), filepath.Join(repo, "spec"))
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "spec"},
		{"-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-q", "-m", "before"},
	} {
		cmd := exec.Command(git, args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.RemoveAll(filepath.Join(repo, "spec")); err != nil {
		t.Fatal(err)
	}
	copyTree(t, filepath.Join(repoRoot, "examples/canary-upgrade/after/spec"), filepath.Join(repo, "spec"))
	stdout, stderr, code := runMeshwright(t, repo, nil, "diff", "--git", "HEAD", "spec")
	if code != 0 {
		t.Fatalf("exit status %d\n%s", code, stderr)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "review", "diff-canary-upgrade.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Errorf("diff --git differs from diff of the two directories:\n%s", lineDiff(string(want), stdout))
	}
}

// runMeshwright runs the built binary in dir and returns its streams and
// exit status.
func runMeshwright(t *testing.T, dir string, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running meshwright %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}
