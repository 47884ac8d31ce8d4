package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

const (
	invalidSpec  = "../../testdata/invalid/errors-in-several-files"
	warningsSpec = "../../testdata/warnings/mutual-without-client-ca"
	foreignSpec  = "../../testdata/warnings/other-documents"
)

// result is one run of the command line.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, stdin, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// TestRefusedInputs checks the command line's side of a refusal on every
// case of testdata/invalid (the messages themselves are the pipeline's,
// tested at the top level): exit status 1, the problems on stderr, nothing
// on stdout, and render -o leaves its directory as it was.
func TestRefusedInputs(t *testing.T) {
	cases, err := filepath.Glob("../../testdata/invalid/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no invalid cases found (%v)", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for _, args := range [][]string{{"validate", dir}, {"render", dir}} {
				r := runCLI(t, nil, args...)
				if r.code != exitFindings {
					t.Errorf("%s: exit status %d, want %d", args[0], r.code, exitFindings)
				}
				if r.stdout != "" || r.stderr == "" {
					t.Errorf("%s: %d bytes on stdout, %d on stderr; want none, and the problems", args[0], len(r.stdout), len(r.stderr))
				}
			}
			out := t.TempDir()
			sentinel := filepath.Join(out, "keep.yaml")
			if err := os.WriteFile(sentinel, []byte("kept\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := runCLI(t, nil, "render", "-o", out, dir); r.code != exitFindings {
				t.Errorf("render -o: exit status %d, want %d", r.code, exitFindings)
			}
			entries, _ := os.ReadDir(out)
			if len(entries) != 1 || entries[0].Name() != "keep.yaml" {
				t.Errorf("render -o wrote into the output directory: %v", entries)
			}
		})
	}
}

// TestWarningsDoNotFail: a spec with warnings validates and renders with
// exit status 0, the warnings on stderr.
func TestWarningsDoNotFail(t *testing.T) {
	for _, args := range [][]string{{"validate", warningsSpec}, {"render", warningsSpec}} {
		r := runCLI(t, nil, args...)
		if r.code != exitOK {
			t.Errorf("%s: exit status %d, want %d\n%s", args[0], r.code, exitOK, r.stderr)
		}
		if !strings.Contains(r.stderr, "warning: ") {
			t.Errorf("%s: no warning on stderr: %q", args[0], r.stderr)
		}
		if args[0] == "render" && r.stdout == "" {
			t.Error("render: nothing on stdout")
		}
	}
}

// TestExitStatuses: 0 done (warnings allowed), 1 findings, 2 usage, for
// every command; usage errors say what is wrong and where help is, on
// stderr, and print nothing on stdout.
func TestExitStatuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		want   int
		stderr string // a part of stderr; "" means stderr must be empty
	}{
		{"valid spec", []string{"validate", minimalSpec}, exitOK, ""},
		{"warnings only", []string{"validate", warningsSpec}, exitOK, "warning: "},
		{"errors in the spec", []string{"validate", invalidSpec}, exitFindings, "[MW0106]"},
		{"errors in the spec, render", []string{"render", invalidSpec}, exitFindings, "[MW0101]"},
		{"missing input file", []string{"validate", "no-such-file.yaml"}, exitFindings, "no-such-file.yaml: reading input: no such file or directory"},
		{"one missing input among others", []string{"render", minimalSpec, "no-such-dir"}, exitFindings, "no-such-dir: reading input"},
		{"output directory that cannot be made", []string{"render", "-o", "/dev/null/out", minimalSpec}, exitFindings, "meshwright: "},
		{"diagnostics file that cannot be written", []string{"render", "--diagnostics-file", "/dev/null/d.sarif", minimalSpec}, exitFindings, "meshwright: writing diagnostics: "},

		{"unknown command", []string{"rendr", minimalSpec}, exitUsage, "unknown command \"rendr\" for \"meshwright\"\n\nDid you mean this?\n\trender"},
		{"unknown flag", []string{"render", "--out", "x", minimalSpec}, exitUsage, "unknown flag: --out"},
		{"unknown flag of a command", []string{"validate", "--bogus", minimalSpec}, exitUsage, "unknown flag: --bogus"},
		{"unknown flag before the command", []string{"--bogus", "validate", minimalSpec}, exitUsage, "meshwright: unknown "},
		{"flag without its value", []string{"render", minimalSpec, "-o"}, exitUsage, "flag needs an argument"},
		{"render without PATH", []string{"render"}, exitUsage, "render needs at least one PATH"},
		{"validate without PATH", []string{"validate"}, exitUsage, "validate needs at least one PATH"},
		{"render -o without PATH", []string{"render", "-o", "out"}, exitUsage, "render needs at least one PATH"},
		{"stdin twice", []string{"validate", "-", "-"}, exitUsage, "only once"},
		{"unknown diagnostics format", []string{"validate", "--format", "xml", minimalSpec}, exitUsage, `unknown diagnostics format "xml"`},
		{"quiet and verbose", []string{"validate", "-q", "-v", minimalSpec}, exitUsage, "[quiet verbose]"},
		{"flags but no command", []string{"-q"}, exitUsage, "no command given"},
		{"schema with a PATH", []string{"schema", "mesh.yaml"}, exitUsage, "unknown command \"mesh.yaml\""},
		{"schema in an unknown format", []string{"schema", "--format", "xsd"}, exitUsage, `unknown schema format "xsd"`},
		{"version with an argument", []string{"version", "now"}, exitUsage, "unknown command"},
		{"version in an unknown format", []string{"version", "-o", "yaml"}, exitUsage, `unknown output format "yaml"`},
		{"init with two directories", []string{"init", "a", "b"}, exitUsage, "accepts at most 1 arg"},
		{"completion without a shell", []string{"completion"}, exitUsage, "completion needs one of: bash, fish, powershell, zsh"},
		{"completion for an unknown shell", []string{"completion", "tcsh"}, exitUsage, `unknown command "tcsh"`},
		{"help on an unknown topic", []string{"help", "deploy"}, exitUsage, `unknown help topic "deploy"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, strings.NewReader(""), tc.args...)
			if r.code != tc.want {
				t.Errorf("exit status %d, want %d; stderr:\n%s", r.code, tc.want, r.stderr)
			}
			if tc.stderr == "" && r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr does not say %q:\n%s", tc.stderr, r.stderr)
			}
			if tc.want != exitOK && r.stdout != "" {
				t.Errorf("stdout with exit status %d: %s", tc.want, r.stdout)
			}
			if tc.want == exitUsage {
				if !strings.Contains(r.stderr, "--help' for usage.") {
					t.Errorf("a usage error does not point to --help:\n%s", r.stderr)
				}
			}
		})
	}
}

// TestHelpForEveryCommand: --help, -h and help COMMAND print the help of
// every command of the tree on stdout, with exit status 0.
func TestHelpForEveryCommand(t *testing.T) {
	root := (&app{}).newRootCommand()
	var paths [][]string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() || c.Name() == "help" {
				walk(c, append(append([]string{}, path...), c.Name()))
			}
		}
	}
	walk(root, nil)
	if len(paths) < 12 {
		t.Fatalf("only %d commands in the tree: %v", len(paths), paths)
	}
	for _, path := range paths {
		for _, args := range [][]string{
			append(append([]string{}, path...), "--help"),
			append(append([]string{}, path...), "-h"),
			append([]string{"help"}, path...),
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := runCLI(t, nil, args...)
				if r.code != exitOK || r.stderr != "" {
					t.Errorf("exit status %d, stderr %q; want 0 and nothing", r.code, r.stderr)
				}
				if want := "Usage:\n  " + strings.Join(append([]string{"meshwright"}, path...), " "); !strings.Contains(r.stdout, want) {
					t.Errorf("stdout does not hold %q:\n%s", want, r.stdout)
				}
			})
		}
	}
}

// TestGlobalFlagsAnywhere: -q and -v work before the command and after
// the PATHs.
func TestGlobalFlagsAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"-q", "validate", warningsSpec},
		{"validate", "-q", warningsSpec},
		{"validate", warningsSpec, "--quiet"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if r := runCLI(t, nil, args...); r.code != exitOK || r.stderr != "" {
				t.Errorf("exit status %d, stderr %q; want 0 and no warning", r.code, r.stderr)
			}
		})
	}
}

// TestForeignDocuments: in text, two or more skipped documents are one
// line; -v lists them and sums up; -q drops them.
func TestForeignDocuments(t *testing.T) {
	const listed = "input.yaml:13:1: warning: ignoring apps/v1 Deployment web: not a meshwright.dev/v1alpha1 Mesh or Tenant [MW0009]\n"
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string // stderr, line by line
	}{
		{"default", nil, []string{"meshwright: warning: skipped 2 documents that are not meshwright inputs (-v lists them) [MW0009]"}},
		{"verbose", []string{"-v"}, []string{
			foreignSpec + "/" + strings.TrimSuffix(listed, "\n"),
			foreignSpec + "/input.yaml:19:1: warning: ignoring v1 ConfigMap: not a meshwright.dev/v1alpha1 Mesh or Tenant [MW0009]",
			"meshwright: 1 file: 0 errors, 2 warnings",
		}},
		{"quiet", []string{"-q"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"validate", foreignSpec}, tc.flags...)...)
			if r.code != exitOK {
				t.Fatalf("exit status %d:\n%s", r.code, r.stderr)
			}
			want := ""
			if len(tc.want) > 0 {
				want = strings.Join(tc.want, "\n") + "\n"
			}
			if r.stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
			}
		})
	}
}

// TestDiagnosticsFormats: --format chooses the form of the diagnostics on
// stderr, --diagnostics-file moves them to a file; stdout carries only
// rendered objects.
func TestDiagnosticsFormats(t *testing.T) {
	isJSONArray := func(s string) bool {
		var v []map[string]any
		return json.Unmarshal([]byte(s), &v) == nil
	}
	isSARIF := func(s string) bool {
		var v struct {
			Version string `json:"version"`
			Runs    []any  `json:"runs"`
		}
		return json.Unmarshal([]byte(s), &v) == nil && v.Version == "2.1.0" && len(v.Runs) == 1
	}
	isGitHub := func(s string) bool {
		for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			if !strings.HasPrefix(line, "::error ") && !strings.HasPrefix(line, "::warning ") {
				return false
			}
		}
		return s != ""
	}
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		check func(string) bool
	}{
		{"json on errors", []string{"validate", "--format", "json", invalidSpec}, exitFindings, isJSONArray},
		{"json when all is well", []string{"validate", "--format", "json", minimalSpec}, exitOK, func(s string) bool { return s == "[]\n" }},
		{"json on a missing file", []string{"validate", "--format", "json", "missing.yaml"}, exitFindings, isJSONArray},
		{"json with -v stays one document", []string{"validate", "-v", "--format", "json", foreignSpec}, exitOK, isJSONArray},
		{"github", []string{"validate", "--format", "github", invalidSpec}, exitFindings, isGitHub},
		{"github after the PATHs", []string{"render", invalidSpec, "--format", "github"}, exitFindings, isGitHub},
		{"sarif", []string{"validate", "--format", "sarif", invalidSpec}, exitFindings, isSARIF},
		{"sarif for render", []string{"render", "--format", "sarif", warningsSpec}, exitOK, isSARIF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit status %d, want %d", r.code, tc.code)
			}
			if !tc.check(r.stderr) {
				t.Errorf("stderr is not in the format:\n%s", r.stderr)
			}
			if tc.args[0] == "render" && (tc.code == exitOK) != (r.stdout != "") {
				t.Errorf("render wrote %d bytes to stdout with exit status %d", len(r.stdout), r.code)
			}
		})
	}

	t.Run("diagnostics file", func(t *testing.T) {
		for _, format := range []string{"text", "json", "github", "sarif"} {
			t.Run(format, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "diagnostics")
				r := runCLI(t, nil, "render", warningsSpec, "--format", format, "--diagnostics-file", file)
				if r.code != exitOK || r.stderr != "" {
					t.Errorf("exit status %d, stderr %q; want 0 and nothing", r.code, r.stderr)
				}
				if !strings.Contains(r.stdout, "kind: IstioOperator") {
					t.Error("the rendered objects are not on stdout")
				}
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(data), "MW0209") {
					t.Errorf("the warning is not in the file:\n%s", data)
				}
			})
		}
	})
	t.Run("diagnostics file when all is well", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "results.sarif")
		if r := runCLI(t, nil, "validate", "--format", "sarif", "--diagnostics-file", file, minimalSpec); r.code != exitOK {
			t.Fatalf("exit status %d: %s", r.code, r.stderr)
		}
		data, err := os.ReadFile(file)
		if err != nil || !isSARIF(string(data)) {
			t.Errorf("no SARIF log written (%v):\n%s", err, data)
		}
	})
}

// TestFunctionMode: without arguments meshwright is still the KRM function
// (kpt and kustomize start it so): a YAML stream in, the items and the
// rendered objects out.
func TestFunctionMode(t *testing.T) {
	mesh, _ := os.ReadFile(filepath.Join(minimalSpec, "mesh.yaml"))
	tenant, _ := os.ReadFile(filepath.Join(minimalSpec, "tenant.yaml"))
	r := runCLI(t, strings.NewReader(string(mesh)+"---\n"+string(tenant)))
	if r.code != exitOK {
		t.Fatalf("exit status %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"kind: IstioOperator", "meshwright.dev/source: Tenant/shop"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not hold %q", want)
		}
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want versionInfo
	}{
		{"no build info", nil, false, versionInfo{Version: "(devel)"}},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/meshwright/meshwright", Version: "(devel)"}}, true,
			versionInfo{Version: "(devel)", GoVersion: "go1.26.0"}},
		{"go test", &debug.BuildInfo{GoVersion: "go1.26.0"}, true, versionInfo{Version: "(devel)", GoVersion: "go1.26.0"}},
		{"go install @v1.2.3", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}}, true,
			versionInfo{Version: "v1.2.3", GoVersion: "go1.26.0"}},
		{"build in a checkout", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20260827124520-0505079dd1c2+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0505079dd1c2"}, {Key: "vcs.time", Value: "2026-08-27T12:45:20Z"}, {Key: "vcs.modified", Value: "true"}}}, true,
			versionInfo{Version: "v0.0.0-20260827124520-0505079dd1c2+dirty", Commit: "0505079dd1c2", CommitTime: "2026-08-27T12:45:20Z", Modified: true, GoVersion: "go1.26.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := versionFrom(tc.info, tc.ok)
			if tc.want.GoVersion == "" {
				tc.want.GoVersion = got.GoVersion // runtime.Version()
			}
			tc.want.Platform = got.Platform
			if got != tc.want {
				t.Errorf("versionFrom = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	if r := runCLI(t, nil, "--version"); r.code != exitOK || r.stdout != "meshwright "+currentVersion().Version+"\n" {
		t.Errorf("--version: exit status %d, stdout %q", r.code, r.stdout)
	}
	r := runCLI(t, nil, "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "meshwright ") || !strings.Contains(r.stdout, "\ngo:       go1.") {
		t.Errorf("version: exit status %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "version", "-o", "json")
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != exitOK {
		t.Fatalf("version -o json: exit status %d, %v:\n%s", r.code, err, r.stdout)
	}
	for _, key := range []string{"version", "commit", "commitTime", "modified", "goVersion", "platform"} {
		if _, ok := v[key]; !ok {
			t.Errorf("version -o json has no %q: %s", key, r.stdout)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			r := runCLI(t, nil, "completion", shell)
			if r.code != exitOK || !strings.Contains(r.stdout, "meshwright") || r.stderr != "" {
				t.Errorf("exit status %d, %d bytes of script, stderr %q", r.code, len(r.stdout), r.stderr)
			}
		})
	}
	t.Run("commands and formats complete", func(t *testing.T) {
		r := runCLI(t, nil, cobra.ShellCompNoDescRequestCmd, "")
		for _, want := range []string{"render\n", "validate\n", "init\n", "version\n"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("no %q among the completions:\n%s", want, r.stdout)
			}
		}
		r = runCLI(t, nil, cobra.ShellCompNoDescRequestCmd, "validate", "--format", "")
		if !strings.HasPrefix(r.stdout, "text\njson\ngithub\nsarif\n") {
			t.Errorf("--format completes to:\n%s", r.stdout)
		}
	})
}
