package schema

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/diagnostics.md from Codes")

// diagnosticsPage is the reference page of every code, generated from Codes.
const diagnosticsPage = "../docs/diagnostics.md"

// TestDiagnosticsReference keeps docs/diagnostics.md equal to what Codes
// says; -update rewrites it.
func TestDiagnosticsReference(t *testing.T) {
	want, err := diagnosticsReference(Codes)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(diagnosticsPage), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(diagnosticsPage, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(diagnosticsPage)
	if err != nil {
		t.Fatalf("%v; run: go test ./schema -run TestDiagnosticsReference -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/diagnostics.md is not generated from the current Codes (first difference at line %d); run: go test ./schema -run TestDiagnosticsReference -update",
			firstDifferentLine(got, want))
	}
}

func firstDifferentLine(a, b []byte) int {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// codeGroups titles the sections of the page by the hundreds of a code
// (MW01xx are the schema's). A code in another hundred needs a title here.
var codeGroups = map[string]string{
	"MW00": "Input files and YAML",
	"MW01": "The schema",
	"MW02": "Rules of the Mesh",
	"MW03": "Rules of the Tenants",
	"MW04": "Rendering",
	"MW05": "Render options",
}

const diagnosticsIntro = `<!-- Code generated from schema/codes.go by TestDiagnosticsReference; DO NOT EDIT.
     Regenerate: go test ./schema -run TestDiagnosticsReference -update -->

# Diagnostic codes

Every problem meshwright finds in its input is reported with a stable code,
one line per problem:

` + "```" + `
file:line:col: field.path: message [MW0100]
file:line:col: warning: field.path: message [MW0009]
` + "```" + `

A code never changes its meaning once released, and a new kind of problem
gets a new code, so scripts and runbooks may match on it. An **error** stops
the render; a **warning** is printed and the render goes on.

The field paths and the values each field accepts are in the
[input API reference](api.md).

`

// diagnosticsReference renders the reference page of codes: a summary
// table, then one section per code, grouped by hundreds.
func diagnosticsReference(codes []CodeInfo) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(diagnosticsIntro)
	type group struct {
		title string
		codes []CodeInfo
	}
	var groups []*group
	byPrefix := map[string]*group{}
	for _, c := range codes {
		if len(c.Code) < 4 {
			return nil, fmt.Errorf("code %q is too short", c.Code)
		}
		prefix := string(c.Code[:4])
		g := byPrefix[prefix]
		if g == nil {
			title, ok := codeGroups[prefix]
			if !ok {
				return nil, fmt.Errorf("code %s: no section title for %sxx in codeGroups", c.Code, prefix)
			}
			g = &group{title: title}
			byPrefix[prefix] = g
			groups = append(groups, g)
		}
		g.codes = append(g.codes, c)
	}

	b.WriteString("| Code | Name | Severity | Meaning |\n|---|---|---|---|\n")
	for _, g := range groups {
		for _, c := range g.codes {
			fmt.Fprintf(&b, "| [%s](#%s) | `%s` | %s | %s |\n", c.Code, strings.ToLower(string(c.Code)), c.Name, c.Severity, markdownCell(c.Meaning))
		}
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n", g.title)
		for _, c := range g.codes {
			fmt.Fprintf(&b, "\n### %s\n\n`%s` · %s\n\n%s\n\n**Fix:** %s\n", c.Code, c.Name, c.Severity, markdownText(c.Meaning), markdownText(c.Fix))
		}
	}
	return b.Bytes(), nil
}

// markdownText escapes the characters of plain text that Markdown would
// read as markup (<credentialName> as an HTML tag, * as emphasis).
func markdownText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`").Replace(s)
}

func markdownCell(s string) string {
	return strings.ReplaceAll(markdownText(s), "|", `\|`)
}

// releasedCodes locks the codes already released and their names: a code may
// never disappear, change its name or change its meaning. New codes are
// added here when they are added to Codes; a line is never changed or
// removed.
var releasedCodes = []struct {
	code Code
	name string
}{
	{"MW0001", "invalid-yaml"},
	{"MW0002", "invalid-utf8"},
	{"MW0003", "not-a-mapping"},
	{"MW0004", "document-too-large"},
	{"MW0005", "alias-cycle"},
	{"MW0006", "unsupported-key"},
	{"MW0007", "duplicate-key"},
	{"MW0008", "integer-out-of-range"},
	{"MW0009", "foreign-document"},
	{"MW0010", "unsupported-version"},
	{"MW0011", "unknown-kind"},
	{"MW0012", "no-mesh"},
	{"MW0013", "second-mesh"},

	{"MW0100", "unknown-field"},
	{"MW0101", "required-field"},
	{"MW0102", "wrong-type"},
	{"MW0103", "value-not-allowed"},
	{"MW0104", "invalid-format"},
	{"MW0105", "out-of-range"},
	{"MW0106", "empty"},
	{"MW0107", "too-long"},
	{"MW0108", "schema"},

	{"MW0200", "duplicate-version"},
	{"MW0201", "duplicate-revision"},
	{"MW0202", "tag-named-like-revision"},
	{"MW0203", "unknown-revision"},
	{"MW0204", "invalid-cidr"},
	{"MW0205", "certificate-too-short"},
	{"MW0206", "renew-after-expiry"},
	{"MW0207", "duplicate-gateway"},
	{"MW0208", "require-jwt-without-provider"},
	{"MW0209", "mutual-without-client-ca"},

	{"MW0300", "duplicate-tenant"},
	{"MW0301", "duplicate-namespace"},
	{"MW0302", "namespace-owned"},
	{"MW0303", "reserved-namespace"},
	{"MW0304", "owner-namespace"},
	{"MW0305", "foreign-namespace"},
	{"MW0306", "duplicate-entry"},
	{"MW0307", "authorization-without-ingress"},
	{"MW0308", "unknown-gateway"},
	{"MW0309", "no-egress-gateway"},
	{"MW0310", "host-taken"},
	{"MW0311", "host-outside-domain"},
	{"MW0312", "tls-without-issuer"},
	{"MW0313", "route-match"},
	{"MW0314", "egress-host-taken"},

	{"MW0400", "rendered-name-conflict"},
}

// TestCodesAreStable fails when a released code disappears from Codes or
// changes its name.
func TestCodesAreStable(t *testing.T) {
	names := map[Code]string{}
	for _, c := range Codes {
		names[c.Code] = c.Name
	}
	for _, r := range releasedCodes {
		name, ok := names[r.code]
		switch {
		case !ok:
			t.Errorf("released code %s (%s) is gone from Codes; a released code is never removed", r.code, r.name)
		case name != r.name:
			t.Errorf("released code %s was named %q and is now %q; a released code keeps its name (give a new kind of problem a new code)", r.code, r.name, name)
		}
	}
}

var codeForm = regexp.MustCompile(`^MW[0-9]{4}$`)

// TestCodesAreDocumented checks each entry of Codes, and that every Code
// constant declared in the package is in Codes, so a code cannot be added
// without its documentation.
func TestCodesAreDocumented(t *testing.T) {
	seen := map[Code]bool{}
	seenName := map[string]Code{}
	for _, c := range Codes {
		if !codeForm.MatchString(string(c.Code)) {
			t.Errorf("code %q: want MW and four digits", c.Code)
		}
		if seen[c.Code] {
			t.Errorf("code %s is in Codes twice", c.Code)
		}
		seen[c.Code] = true
		if other, dup := seenName[c.Name]; dup && c.Name != "" {
			t.Errorf("codes %s and %s are both named %q", other, c.Code, c.Name)
		}
		seenName[c.Name] = c.Code
		if c.Severity != SeverityError && c.Severity != SeverityWarning {
			t.Errorf("code %s: severity %q is neither error nor warning", c.Code, c.Severity)
		}
		for field, text := range map[string]string{"name": c.Name, "meaning": c.Meaning, "fix": c.Fix} {
			if strings.TrimSpace(text) == "" {
				t.Errorf("code %s: empty %s", c.Code, field)
			}
		}
	}

	consts, err := codeConstants(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(consts) == 0 {
		t.Fatal("found no Code constants in the package; has codes.go moved?")
	}
	names := make([]string, 0, len(consts))
	for name := range consts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if code := consts[name]; !seen[code] {
			t.Errorf("constant %s = %q is not documented in Codes", name, code)
		}
	}
}

// codeConstants lists the exported constants of type Code (or named Code...)
// declared in the package's non-test Go files in dir, with their values.
func codeConstants(dir string) (map[string]Code, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	consts := map[string]Code{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			var groupType ast.Expr // an omitted type repeats the one above
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if vs.Type != nil || len(vs.Values) > 0 {
					groupType = vs.Type
				}
				typed := isIdent(groupType, "Code")
				for i, name := range vs.Names {
					if !name.IsExported() || !(typed || strings.HasPrefix(name.Name, "Code")) {
						continue
					}
					if i >= len(vs.Values) {
						return nil, fmt.Errorf("%s: constant %s has no value of its own", fset.Position(name.Pos()), name.Name)
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return nil, fmt.Errorf("%s: constant %s is not a string literal", fset.Position(name.Pos()), name.Name)
					}
					value, err := strconv.Unquote(lit.Value)
					if err != nil {
						return nil, err
					}
					consts[name.Name] = Code(value)
				}
			}
		}
	}
	return consts, nil
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// TestCodeConstantsFindsUndocumented checks the guard itself: a constant
// declared without an entry in Codes is found, in any file and any form of
// declaration.
func TestCodeConstantsFindsUndocumented(t *testing.T) {
	dir := t.TempDir()
	src := `package schema

const CodeSingle Code = "MW0900"

const (
	CodeTyped   Code = "MW0901"
	CodeUntyped      = "MW0902"
	codeHidden  Code = "MW0903"
	Other       Code = "MW0904"
	NotACode         = "x"
)
`
	if err := os.WriteFile(filepath.Join(dir, "extra.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra_test.go"), []byte("package schema\n\nconst CodeInTest Code = \"MW0999\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := codeConstants(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Code{"CodeSingle": "MW0900", "CodeTyped": "MW0901", "CodeUntyped": "MW0902", "Other": "MW0904"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("codeConstants = %v, want %v", got, want)
	}
}
