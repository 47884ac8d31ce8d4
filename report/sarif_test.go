package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/schema"
)

// sarifSubset compiles testdata/sarif-2.1.0-subset.schema.json: the
// specification's constraints on every object and property meshwright
// writes, transcribed by hand from the OASIS schema.
func sarifSubset(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat() // uri and uri-reference are checked, not just annotations
	sch, err := c.Compile(filepath.Join("testdata", "sarif-2.1.0-subset.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// checkSARIF validates one log: against the subset schema, decoded into
// the typed structs with unknown fields refused, and the references
// between its parts.
func checkSARIF(t *testing.T, sch *jsonschema.Schema, out []byte) sarifLog {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("does not conform to SARIF 2.1.0: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var log sarifLog
	if err := dec.Decode(&log); err != nil {
		t.Fatalf("does not decode into the typed structs: %v", err)
	}
	if log.Version != "2.1.0" || log.Schema != "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json" {
		t.Errorf("version %q, $schema %q", log.Version, log.Schema)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	driver := run.Tool.Driver
	if driver.Name != "meshwright" {
		t.Errorf("tool.driver.name = %q", driver.Name)
	}
	if len(driver.Rules) != len(schema.Codes) {
		t.Errorf("%d rules, want one per code (%d)", len(driver.Rules), len(schema.Codes))
	}
	for i, rule := range driver.Rules {
		c := schema.Codes[i]
		if rule.ID != string(c.Code) || rule.Name != c.Name || rule.ShortDescription.Text != c.Meaning || rule.Help.Text != c.Fix {
			t.Errorf("rule %d = %+v, want %s %s from schema.Codes", i, rule, c.Code, c.Name)
		}
		if want := "#" + strings.ToLower(string(c.Code)); !strings.HasSuffix(rule.HelpURI, want) {
			t.Errorf("rule %s helpUri %q does not end in %s", rule.ID, rule.HelpURI, want)
		}
	}
	for _, r := range run.Results {
		if r.RuleIndex == nil || *r.RuleIndex >= len(driver.Rules) || driver.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %q: ruleIndex %v does not point at its rule", r.RuleID, r.RuleIndex)
		}
		for _, loc := range r.Locations {
			u, err := url.Parse(loc.PhysicalLocation.ArtifactLocation.URI)
			if err != nil || u.IsAbs() || strings.HasPrefix(u.Path, "/") {
				t.Errorf("result %q: uri %q is not a relative reference", r.RuleID, loc.PhysicalLocation.ArtifactLocation.URI)
			}
		}
	}
	if len(run.Invocations) != 1 {
		t.Errorf("%d invocations, want 1", len(run.Invocations))
	}
	return log
}

// TestSARIFConformance checks the fixture, nothing at all, and what the
// pipeline finds in every refused input of the test suite.
func TestSARIFConformance(t *testing.T) {
	sch := sarifSubset(t)
	cases := map[string]schema.Diagnostics{"fixture": fixture(), "no diagnostics": nil}
	dirs, err := filepath.Glob("../testdata/invalid/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no invalid inputs (%v)", err)
	}
	for _, dir := range dirs {
		files, err := meshwright.ReadFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, diags := meshwright.Render(files)
		cases["pipeline/"+filepath.Base(dir)] = diags
	}
	for name, diags := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, diags, Options{Format: SARIF, ToolVersion: "v0.0.0-test"}); err != nil {
				t.Fatal(err)
			}
			log := checkSARIF(t, sch, out.Bytes())
			findings, failures := 0, 0
			for _, d := range diags {
				if IsFailure(d) {
					failures++
				} else {
					findings++
				}
			}
			run := log.Runs[0]
			if len(run.Results) != findings || len(run.Invocations[0].ToolExecutionNotifications) != failures {
				t.Errorf("%d results and %d notifications for %d findings and %d failures",
					len(run.Results), len(run.Invocations[0].ToolExecutionNotifications), findings, failures)
			}
			if run.Invocations[0].ExecutionSuccessful != (failures == 0) {
				t.Errorf("executionSuccessful = %v with %d failures", run.Invocations[0].ExecutionSuccessful, failures)
			}
		})
	}
}

// TestSARIFSubsetSchemaBites: the subset schema refuses what the
// specification refuses, so that TestSARIFConformance means something.
func TestSARIFSubsetSchemaBites(t *testing.T) {
	sch := sarifSubset(t)
	valid := `{"$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json", "version": "2.1.0",
		"runs": [{"tool": {"driver": {"name": "meshwright"}}, "results": [RESULT]}]}`
	result := `{"ruleId": "MW0100", "level": "error", "message": {"text": "m"},
		"locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.yaml"}, "region": {"startLine": 1, "startColumn": 1}}}]}`
	for _, tc := range []struct {
		name, old, new string
		ok             bool
	}{
		{"valid", "", "", true},
		{"wrong version", `"version": "2.1.0"`, `"version": "2.0.0"`, false},
		{"2020-12 $schema", "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json", "https://json-schema.org/draft/2020-12/schema", false},
		{"misspelt field", `"ruleId"`, `"ruleID"`, false},
		{"unknown level", `"level": "error"`, `"level": "fatal"`, false},
		{"line 0", `"startLine": 1`, `"startLine": 0`, false},
		{"region without start", `"startLine": 1, "startColumn": 1`, `"startColumn": 1`, false},
		{"message without text", `{"text": "m"}`, `{}`, false},
		{"uri that is not a reference", `"uri": "a.yaml"`, `"uri": "a b\\\\c"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(valid, "RESULT", result, 1)
			if tc.old != "" {
				if !strings.Contains(doc, tc.old) {
					t.Fatalf("%q not in the document", tc.old)
				}
				doc = strings.Replace(doc, tc.old, tc.new, 1)
			}
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); (err == nil) != tc.ok {
				t.Errorf("valid: %v, want %v (%v)", err == nil, tc.ok, err)
			}
		})
	}
}
