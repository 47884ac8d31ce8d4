package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/meshwright/meshwright/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata from the current output")

// fixture holds one of each kind of diagnostic the formats treat apart:
// errors and warnings, with and without field path, line or file, three
// foreign documents, a file name and a message that need escaping, standard
// input, and two Failures (no code).
func fixture() schema.Diagnostics {
	return schema.Diagnostics{
		{Severity: schema.SeverityError, Code: schema.CodeWrongType, File: "mesh.yaml", Line: 6, Column: 3, Resource: "Mesh/platform",
			Path: schema.ParsePath("spec.kubernetesVersion"), Message: "expected string, got float 1.3 (quote it to make it a string)"},
		{Severity: schema.SeverityWarning, Code: schema.CodeForeignDocument, File: "other/deploy.yaml", Line: 13, Column: 1,
			Message: "ignoring apps/v1 Deployment web: not a meshwright.dev/v1alpha1 Mesh or Tenant"},
		{Severity: schema.SeverityWarning, Code: schema.CodeForeignDocument, File: "other/kustomization.yaml", Line: 1, Column: 1,
			Message: "ignoring kustomize.config.k8s.io/v1beta1 Kustomization: not a meshwright.dev/v1alpha1 Mesh or Tenant"},
		{Severity: schema.SeverityError, Code: schema.CodeUnknownField, File: "tenants/shop.yaml", Line: 21, Column: 7, Resource: "Tenant/shop",
			Path: schema.ParsePath("spec.services[0].portt"), Message: "field not allowed"},
		{Severity: schema.SeverityError, Code: schema.CodeNamespaceOwned, File: "tenants/shop.yaml", Line: 24, Column: 31, Resource: "Tenant/shop",
			Path: schema.ParsePath("spec.namespaces[1].name"), Message: `namespace "shared" is already owned by Tenant/blog (tenants/blog.yaml:17)`},
		{Severity: schema.SeverityWarning, Code: schema.CodeMutualWithoutClientCA, File: "tenants/shop.yaml", Line: 30, Column: 9, Resource: "Tenant/shop",
			Path: schema.ParsePath("spec.services[2].ingress.tls"), Message: "MUTUAL, but the Mesh has no certificates.clientCA: Secret checkout-cacert is not rendered"},
		{Severity: schema.SeverityError, Code: schema.CodeInvalidYAML, File: "odd, name: 100%.yaml", Line: 2, Column: 1,
			Message: "mapping values are not allowed in this context\n(a tab? 100% sure)"},
		{Severity: schema.SeverityError, Code: schema.CodeUnknownKind, File: "<stdin>", Line: 3, Column: 1,
			Path: schema.ParsePath("kind"), Message: `kind "Mess" is neither Mesh nor Tenant`},
		{Severity: schema.SeverityWarning, Code: schema.CodeForeignDocument, File: "<stdin>", Line: 20, Column: 1,
			Message: "ignoring v1 ConfigMap: not a meshwright.dev/v1alpha1 Mesh or Tenant"},
		{Severity: schema.SeverityError, Code: schema.CodeNoMesh, File: "input.yaml",
			Message: "no Mesh found: a render needs exactly one Mesh"},
		Failure("missing.yaml", errors.New("reading input: no such file or directory")),
		Failure("", errors.New("writing output: broken pipe")),
	}
}

// TestGolden writes the fixture in every format and compares it with
// testdata/<name>.golden; -update rewrites them.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		diags schema.Diagnostics
		opts  Options
	}{
		{"text", fixture(), Options{Format: Text}},
		{"text-verbose", fixture(), Options{Format: Text, Verbose: true}},
		{"text-quiet", fixture(), Options{Format: Text, Quiet: true}},
		{"text-color", fixture(), Options{Format: Text, Color: true}},
		{"json", fixture(), Options{Format: JSON}},
		{"json-quiet", fixture(), Options{Format: JSON, Quiet: true}},
		{"json-empty", nil, Options{Format: JSON}},
		{"github", fixture(), Options{Format: GitHub}},
		{"sarif", fixture(), Options{Format: SARIF, ToolVersion: "v1.2.3"}},
		{"sarif-empty", nil, Options{Format: SARIF, ToolVersion: "v1.2.3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, tc.diags, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tc.name+".golden"), out.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run: go test ./report -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s; review and run: go test ./report -update\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestNothingToReport(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, nil, Options{Format: format}); err != nil {
				t.Fatal(err)
			}
			switch format {
			case Text, GitHub:
				if out.Len() != 0 {
					t.Errorf("wrote %q, want nothing", out.String())
				}
			default:
				if !json.Valid(out.Bytes()) {
					t.Errorf("not one JSON document: %q", out.String())
				}
			}
		})
	}
}

// TestTextIsTodaysLines: the text format is schema.Diagnostic.String,
// line for line, and colour only adds escape codes around the severity
// word and the code.
func TestTextIsTodaysLines(t *testing.T) {
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	for _, d := range fixture() {
		if d.File == "" {
			continue // String has no name to print there; TextLine says meshwright
		}
		t.Run(d.File+"/"+string(d.Code), func(t *testing.T) {
			if got := TextLine(d, false); got != d.String() {
				t.Errorf("TextLine = %q, want d.String() = %q", got, d.String())
			}
			colored := TextLine(d, true)
			if plain := ansi.ReplaceAllString(colored, ""); plain != d.String() {
				t.Errorf("colour changed more than colour: %q", plain)
			}
			if d.Code != "" && !strings.Contains(colored, "["+string(d.Code)+"]"+colorReset) {
				t.Errorf("code not coloured: %q", colored)
			}
			if d.Severity == schema.SeverityWarning && !strings.Contains(colored, colorWarning+"warning:"+colorReset) {
				t.Errorf("severity word not coloured: %q", colored)
			}
		})
	}
}

func TestForeignDocumentsCollapse(t *testing.T) {
	foreign := func(n int) schema.Diagnostics {
		var ds schema.Diagnostics
		for i := range n {
			ds = append(ds, schema.Diagnostic{Severity: schema.SeverityWarning, Code: schema.CodeForeignDocument,
				File: "kustomization.yaml", Line: 1 + 10*i, Column: 1, Message: "ignoring something"})
		}
		return ds
	}
	for _, tc := range []struct {
		name    string
		diags   schema.Diagnostics
		verbose bool
		lines   int
		summary bool
	}{
		{"one skipped document is listed", foreign(1), false, 1, false},
		{"two skipped documents are one summary line", foreign(2), false, 1, true},
		{"ten skipped documents are one summary line", foreign(10), false, 1, true},
		{"verbose lists every skipped document", foreign(10), true, 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, tc.diags, Options{Format: Text, Verbose: tc.verbose}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != tc.lines {
				t.Errorf("%d lines, want %d:\n%s", len(lines), tc.lines, out.String())
			}
			if got := strings.Contains(out.String(), "(-v lists them)"); got != tc.summary {
				t.Errorf("summary line: %v, want %v:\n%s", got, tc.summary, out.String())
			}
		})
	}
}

func TestQuietDropsWarningsInEveryFormat(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, fixture(), Options{Format: format, Quiet: true}); err != nil {
				t.Fatal(err)
			}
			if format == SARIF {
				// the rules list every code with its level; the results must not
				var log sarifLog
				if err := json.Unmarshal(out.Bytes(), &log); err != nil {
					t.Fatal(err)
				}
				for _, r := range log.Runs[0].Results {
					if r.Level != "error" {
						t.Errorf("quiet SARIF holds a %s result: %+v", r.Level, r)
					}
				}
				return
			}
			if strings.Contains(out.String(), "warning") {
				t.Errorf("quiet output holds a warning:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "MW0100") {
				t.Errorf("quiet output lost an error:\n%s", out.String())
			}
		})
	}
}

func TestColorEnabled(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		env      map[string]string
		want     bool
	}{
		{"terminal", true, nil, true},
		{"not a terminal", false, nil, false},
		{"NO_COLOR set", true, map[string]string{"NO_COLOR": "1"}, false},
		{"NO_COLOR empty counts as unset (no-color.org)", true, map[string]string{"NO_COLOR": ""}, true},
		{"dumb terminal", true, map[string]string{"TERM": "dumb"}, false},
		{"xterm", true, map[string]string{"TERM": "xterm-256color"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			if got := ColorEnabled(tc.terminal, getenv); got != tc.want {
				t.Errorf("ColorEnabled = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, name := range []string{"text", "json", "github", "sarif"} {
		if f, err := ParseFormat(name); err != nil || string(f) != name {
			t.Errorf("ParseFormat(%q) = %q, %v", name, f, err)
		}
	}
	for _, name := range []string{"", "JSON", "xml", "sarif2"} {
		if _, err := ParseFormat(name); err == nil {
			t.Errorf("ParseFormat(%q) accepted", name)
		}
	}
}

// TestJSONKeys: every element has exactly the documented keys, also for a
// Failure (empty code and name).
func TestJSONKeys(t *testing.T) {
	var out bytes.Buffer
	if err := Write(&out, fixture(), Options{Format: JSON}); err != nil {
		t.Fatal(err)
	}
	var elems []map[string]any
	if err := json.Unmarshal(out.Bytes(), &elems); err != nil {
		t.Fatal(err)
	}
	want := []string{"code", "column", "file", "line", "message", "name", "path", "resource", "severity"}
	for i, e := range elems {
		var keys []string
		for k := range e {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("element %d has keys %v, want %v", i, keys, want)
		}
	}
	if len(elems) != len(fixture()) {
		t.Errorf("%d elements, want %d", len(elems), len(fixture()))
	}
}

func TestGitHubEscaping(t *testing.T) {
	for _, tc := range []struct {
		name, in, data, property string
	}{
		{"plain", "tenants/shop.yaml", "tenants/shop.yaml", "tenants/shop.yaml"},
		{"percent first, so escapes are not escaped twice", "100%0A", "100%250A", "100%250A"},
		{"line breaks", "a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"separators only in properties", "a, b: c", "a, b: c", "a%2C b%3A c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := escapeData(tc.in); got != tc.data {
				t.Errorf("escapeData(%q) = %q, want %q", tc.in, got, tc.data)
			}
			if got := escapeProperty(tc.in); got != tc.property {
				t.Errorf("escapeProperty(%q) = %q, want %q", tc.in, got, tc.property)
			}
		})
	}
}

// TestGitHubCommandShape: each line is one workflow command, with the
// properties GitHub reads, in its order.
func TestGitHubCommandShape(t *testing.T) {
	var out bytes.Buffer
	if err := Write(&out, fixture(), Options{Format: GitHub}); err != nil {
		t.Fatal(err)
	}
	command := regexp.MustCompile(`^::(error|warning)( (file=[^,:]+)?(,?line=\d+)?(,col=\d+)?(,?title=[^,:]+)?)?::[^\r\n]*$`)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(fixture()) {
		t.Fatalf("%d lines for %d diagnostics:\n%s", len(lines), len(fixture()), out.String())
	}
	for _, line := range lines {
		if !command.MatchString(line) {
			t.Errorf("not a workflow command GitHub reads: %q", line)
		}
	}
	want := "::error file=tenants/shop.yaml,line=21,col=7,title=MW0100 unknown-field::spec.services[0].portt: field not allowed"
	if !slices.Contains(lines, want) {
		t.Errorf("no line %q in:\n%s", want, out.String())
	}
}

// TestAbsolutePathsRelative: github and sarif name files relative to
// BaseDir (the repository root, for their consumers); text and json keep
// the name as given.
func TestAbsolutePathsRelative(t *testing.T) {
	base := t.TempDir()
	abs := filepath.Join(base, "spec", "tenants", "shop.yaml")
	diags := schema.Diagnostics{{Severity: schema.SeverityError, Code: schema.CodeUnknownField, File: abs, Line: 1, Column: 1, Message: "field not allowed"}}
	for _, tc := range []struct {
		format Format
		want   string
	}{
		{GitHub, "file=spec/tenants/shop.yaml,"},
		{SARIF, `"uri": "spec/tenants/shop.yaml"`},
		{Text, abs + ":1:1:"},
		{JSON, `"file": "` + abs + `"`},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, diags, Options{Format: tc.format, BaseDir: base}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("no %q in:\n%s", tc.want, out.String())
			}
		})
	}
}

func TestFileURI(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"tenants/shop.yaml", "tenants/shop.yaml"},
		{"<stdin>", "%3Cstdin%3E"},
		{"my spec/mesh.yaml", "my%20spec/mesh.yaml"},
		{"odd, name: 100%.yaml", "./odd,%20name:%20100%25.yaml"},
		{"a:b.yaml", "./a:b.yaml"}, // a colon in the first segment would read as a scheme
		{"../shared/mesh.yaml", "../shared/mesh.yaml"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if got := fileURI(tc.file, ""); got != tc.want {
				t.Errorf("fileURI(%q) = %q, want %q", tc.file, got, tc.want)
			}
		})
	}
}
