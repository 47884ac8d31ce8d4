package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// istioctl returns the istioctl the Makefile builds (`make conformance`):
// $ISTIOCTL, else .cache/bin/istioctl. Without it the istioctl checks fail
// in CI (CI=true) and are skipped, saying how to run them, on a developer's
// machine.
func istioctl(t *testing.T) string {
	t.Helper()
	p := os.Getenv("ISTIOCTL")
	if p == "" {
		p = filepath.Join(repoRoot, ".cache", "bin", "istioctl")
	}
	abs, err := filepath.Abs(p)
	if err == nil {
		if _, err = os.Stat(abs); err == nil {
			return abs
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("istioctl not found at %s (%v): `make conformance` builds it", p, err)
	}
	t.Skipf("istioctl not found at %s: run `make conformance`, which builds it first", p)
	return ""
}

// run runs istioctl offline and returns its stdout and stderr. A non-zero
// exit is returned as the error.
func run(bin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// No kubeconfig: every command here must work without a cluster.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+os.DevNull)
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func trees(t *testing.T) []string {
	t.Helper()
	trees, err := RenderedTrees(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return trees
}

func overlayOutputs(t *testing.T) []string {
	t.Helper()
	files, err := OverlayOutputs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestIstioctlValidate runs `istioctl validate -f` once per rendered tree
// and overlay output: every file must be valid, without warnings.
func TestIstioctlValidate(t *testing.T) {
	bin := istioctl(t)
	for _, tree := range append(trees(t), overlayOutputs(t)...) {
		t.Run(TreeName(repoRoot, tree), func(t *testing.T) {
			stdout, stderr, err := run(bin, "validate", "-f", tree)
			findings, unexpected, valid := validateFindings(stdout + stderr)
			if valid+len(findings) == 0 {
				t.Errorf("istioctl validate reported on no file:\n%s%s", stdout, stderr)
			}
			for _, f := range findings {
				judge(t, f, map[int]bool{})
			}
			for _, line := range unexpected {
				t.Errorf("istioctl validate: %s", line)
			}
			var exit *exec.ExitError
			if err != nil && (!errors.As(err, &exit) || len(findings) == 0) {
				t.Errorf("istioctl validate: %v\n%s%s", err, stdout, stderr)
			}
		})
	}
}

// validateFindings reads istioctl validate's report: a line per valid file,
// "<file> has warnings:" followed by them, and an error list when any file
// is invalid; items read "\t* Kind/namespace/name: message". Lines of any
// other shape are returned as unexpected; valid counts the valid files.
func validateFindings(out string) (findings []finding, unexpected []string, valid int) {
	level := "Error"
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasSuffix(line, " is valid"):
			valid++
		case strings.HasSuffix(strings.TrimSpace(line), " has warnings:"):
			valid++
			level = "Warning"
		case strings.HasPrefix(line, "Error: "):
			level = "Error"
		case strings.HasPrefix(line, "\t* "):
			ref, msg, _ := strings.Cut(strings.TrimPrefix(line, "\t* "), ": ")
			kind, nsName, _ := strings.Cut(ref, "/")
			findings = append(findings, finding{code: validateCode, level: level, origin: kind + " " + nsName, message: msg})
		default:
			unexpected = append(unexpected, line)
		}
	}
	return findings, unexpected, valid
}

// TestIstioctlIsTheOneGoModPins keeps the istioctl binary and the Go
// packages checked here (the analyzers, the operator's types) at one Istio
// version: the Makefile pins istioctl separately from go.mod.
func TestIstioctlIsTheOneGoModPins(t *testing.T) {
	bin := istioctl(t)
	want, err := ModuleVersion("istio.io/istio")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goTool(), "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", bin, err)
	}
	got := builtFrom(string(out), "istio.io/istio")
	if got != want {
		t.Fatalf("%s was built from istio.io/istio %q; go.mod pins %s: rebuild it (make conformance) or move the Makefile's ISTIO_VERSION", bin, got, want)
	}
}

// builtFrom returns the version of module mod in `go version -m` output: the
// main module ("mod") or a dependency ("dep").
func builtFrom(out, mod string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[0] == "mod" || f[0] == "dep") && f[1] == mod {
			return f[2]
		}
	}
	return ""
}

func TestValidateFindings(t *testing.T) {
	out := "\"a.yaml\" is valid\n" +
		"\"b.yaml\" has warnings: \n\t* AuthorizationPolicy/istio-system/p: only HTTP attributes\n\n" +
		"Error: 1 error occurred:\n\t* Gateway/bookinfo/g: invalid gateway name: \"g\"\n\n" +
		"something else\n"
	findings, unexpected, valid := validateFindings(out)
	want := []finding{
		{code: validateCode, level: "Warning", origin: "AuthorizationPolicy istio-system/p", message: "only HTTP attributes"},
		{code: validateCode, level: "Error", origin: "Gateway bookinfo/g", message: "invalid gateway name: \"g\""},
	}
	if fmt.Sprint(findings) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", findings, want)
	}
	if len(unexpected) != 1 || unexpected[0] != "something else" {
		t.Errorf("unexpected %q, want [something else]", unexpected)
	}
	if valid != 2 {
		t.Errorf("valid %d, want 2", valid)
	}
}

// TestIstioctlValidateRefusesBrokenObjects proves the validate harness can
// fail: each file under testdata/istioctl-invalid holds an object istioctl
// refuses.
func TestIstioctlValidateRefusesBrokenObjects(t *testing.T) {
	bin := istioctl(t)
	files, err := filepath.Glob(filepath.Join("testdata", "istioctl-invalid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid fixtures (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			stdout, stderr, err := run(bin, "validate", "-f", f)
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("istioctl validate accepted it (%v):\n%s%s", err, stdout, stderr)
			}
		})
	}
}

// analyzerMessage is one finding of `istioctl analyze -o json`.
type analyzerMessage struct {
	Code      string `json:"code"`
	Level     string `json:"level"`
	Message   string `json:"message"`
	Origin    string `json:"origin"`
	Reference string `json:"reference"`
}

// TestIstioctlAnalyze runs `istioctl analyze --use-kube=false -A` once per
// rendered tree and overlay output, with the tree's workload fixture. istioctl reads no Pod,
// Service, Namespace, Secret or Node from files (they are "runtime
// resources" it only takes from a cluster), so the analyzers needing them
// are skipped here; TestAnalyzeWithRuntimeResources runs them.
func TestIstioctlAnalyze(t *testing.T) {
	bin := istioctl(t)
	used := map[int]bool{}
	for _, tree := range append(trees(t), overlayOutputs(t)...) {
		t.Run(TreeName(repoRoot, tree), func(t *testing.T) {
			paths := []string{tree}
			if dir := fixtureDir(tree); dir != "" {
				paths = append(paths, dir)
			}
			for _, f := range istioctlAnalyze(t, bin, istioNamespace(t, tree), paths...) {
				judge(t, f, used)
			}
		})
	}
	checkSuppressionsUsed(t, used, false)
}

// istioctlAnalyze runs `istioctl analyze --use-kube=false -A` over the
// paths and returns its findings. It fails the test when istioctl could not
// read a file, or reports neither a finding nor the files it analyzed.
func istioctlAnalyze(t *testing.T, bin, istioNS string, paths ...string) []finding {
	t.Helper()
	args := append([]string{"analyze", "--use-kube=false", "-A", "-o", "json", "--istioNamespace", istioNS}, paths...)
	stdout, stderr, err := run(bin, args...)
	if err != nil {
		t.Fatalf("istioctl analyze: %v\n%s", err, stderr)
	}
	if strings.Contains(stderr, "Error") {
		t.Errorf("istioctl analyze could not read every file:\n%s", stderr)
	}
	if mentionsDeprecation(stderr) {
		t.Errorf("deprecation: istioctl analyze says:\n%s", stderr)
	}
	var msgs []analyzerMessage
	if err := json.Unmarshal([]byte(stdout), &msgs); err != nil {
		t.Fatalf("reading istioctl analyze output: %v\n%s", err, stdout)
	}
	if len(msgs) == 0 && !strings.Contains(stderr, "No validation issues found when analyzing") {
		t.Errorf("istioctl analyze reported nothing, not even the files it read:\n%s", stderr)
	}
	var out []finding
	for _, m := range msgs {
		out = append(out, finding{code: m.Code, level: m.Level, origin: m.Origin, message: m.Message})
	}
	return out
}

// TestIstioctlAnalyzeReportsFindings proves the analyze harness sees what
// istioctl reports: a VirtualService bound to a missing Gateway.
func TestIstioctlAnalyzeReportsFindings(t *testing.T) {
	bin := istioctl(t)
	findings := istioctlAnalyze(t, bin, "istio-system", filepath.Join("testdata", "analyze-findings"))
	want := finding{code: "IST0101", level: "Error", origin: "VirtualService bookinfo/productpage", message: `Referenced gateway not found: "no-such-gateway"`}
	for _, f := range findings {
		if f == want {
			return
		}
	}
	t.Fatalf("findings %v do not include %v", findings, want)
}

// fixtureDir is the tree's workload fixture directory, "" when it has none.
func fixtureDir(tree string) string {
	dir := filepath.Join("testdata", "workloads", TreeName(repoRoot, tree))
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}
