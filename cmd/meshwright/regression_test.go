package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The bugs of the hand-written command line, each with the test that
// failed on it. These tests use only run and the exit statuses by number,
// so they also compile against the old code.

const minimalSpec = "../../testdata/golden/minimal/spec"

// Bug: `validate --help` read --help as a PATH (exit 1, "reading input").
func TestRegressionValidateHelpIsHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate", "--help"}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("exit status %d, want 0; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "meshwright validate PATH...") {
		t.Errorf("no usage on stdout:\n%s", stdout.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// Bug: `render --help` printed the flags to stderr and exited 2.
func TestRegressionRenderHelpOnStdout(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		t.Run(flag, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"render", flag}, nil, &stdout, &stderr); code != 0 {
				t.Errorf("exit status %d, want 0", code)
			}
			if !strings.Contains(stdout.String(), "meshwright render [-o DIR] PATH...") {
				t.Errorf("no usage on stdout:\n%s", stdout.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("help on stderr:\n%s", stderr.String())
			}
		})
	}
}

// Bug: flags after the PATHs were read as PATHs: `render spec -o out`
// tried to read the files "-o" and "out".
func TestRegressionFlagsAfterPaths(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rendered")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"render", minimalSpec, "-o", out}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, stderr.String())
	}
	if stdout.Len() > 0 {
		t.Errorf("rendered to stdout as well as to %s", out)
	}
	if _, err := os.Stat(filepath.Join(out, ".meshwright-files")); err != nil {
		t.Errorf("nothing rendered under %s: %v", out, err)
	}
}

// Bug: - was a file name, so a YAML stream could not be piped in; now it
// is standard input, called <stdin> in diagnostics.
func TestRegressionDashReadsStdin(t *testing.T) {
	mesh, err := os.ReadFile(filepath.Join(minimalSpec, "mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := os.ReadFile(filepath.Join(minimalSpec, "tenant.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("render a stream", func(t *testing.T) {
		stream := string(mesh) + "---\n" + string(tenant)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"render", "-"}, strings.NewReader(stream), &stdout, &stderr); code != 0 {
			t.Fatalf("exit status %d, want 0; stderr:\n%s", code, stderr.String())
		}
		if !strings.Contains(stdout.String(), "kind: IstioOperator") {
			t.Errorf("no IstioOperator rendered:\n%s", stdout.String())
		}
	})
	t.Run("diagnostics name <stdin>", func(t *testing.T) {
		broken := strings.Replace(string(tenant), "namespaces:", "namespacez:", 1)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"validate", filepath.Join(minimalSpec, "mesh.yaml"), "-"}, strings.NewReader(broken), &stdout, &stderr); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		if !strings.Contains(stderr.String(), "<stdin>:6:3: spec.namespacez: field not allowed [MW0100]\n") {
			t.Errorf("diagnostics do not name <stdin>:\n%s", stderr.String())
		}
	})
}
