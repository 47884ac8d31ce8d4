package report

import (
	"io"
	"net/url"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// The SARIF 2.1.0 log, as OASIS published it (errata 01).
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

// Where the tool and its codes are documented.
const (
	informationURI = "https://github.com/meshwright/meshwright"
	codesURI       = informationURI + "/blob/main/docs/diagnostics.md"
)

// The subset of SARIF 2.1.0 meshwright writes. The JSON names are the
// specification's; the tests decode the output into these types with
// unknown fields refused and validate it against the specification's
// constraints (testdata/sarif-2.1.0-subset.schema.json).
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		// ColumnKind: meshwright counts columns in characters (YAML marks).
		ColumnKind string        `json:"columnKind"`
		Results    []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	// sarifRule is a reportingDescriptor: one diagnostic code.
	sarifRule struct {
		ID                   string             `json:"id"`
		Name                 string             `json:"name"`
		ShortDescription     sarifMessage       `json:"shortDescription"`
		Help                 sarifMessage       `json:"help"`
		HelpURI              string             `json:"helpUri"`
		DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	}
	sarifConfiguration struct {
		Level string `json:"level"`
	}
	// sarifMessage is a message or a multiformatMessageString: both are
	// {"text": ...} as meshwright writes them.
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID string `json:"ruleId"`
		// RuleIndex is the rule's position in the driver's rules; absent
		// for a code this meshwright does not document (never, in practice).
		RuleIndex *int            `json:"ruleIndex,omitempty"`
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	sarifInvocation struct {
		ExecutionSuccessful        bool                `json:"executionSuccessful"`
		ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	// sarifNotification carries a Failure: not a result about the inputs,
	// but why the run could not complete.
	sarifNotification struct {
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
)

// writeSARIF prints one run: every code as a rule, every finding as a
// result, every Failure as a notification of an unsuccessful invocation.
func writeSARIF(w io.Writer, diags schema.Diagnostics, opts Options) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "meshwright",
			Version:        opts.ToolVersion,
			InformationURI: informationURI,
			Rules:          sarifRules(),
		}},
		ColumnKind: "unicodeCodePoints",
		Results:    []sarifResult{},
	}
	invocation := sarifInvocation{ExecutionSuccessful: true}
	for _, d := range diags {
		locations := sarifLocations(d, opts.BaseDir)
		if IsFailure(d) {
			invocation.ExecutionSuccessful = false
			invocation.ToolExecutionNotifications = append(invocation.ToolExecutionNotifications, sarifNotification{
				Level:     sarifLevel(d.Severity),
				Message:   sarifMessage{Text: fieldMessage(d)},
				Locations: locations,
			})
			continue
		}
		result := sarifResult{
			RuleID:    string(d.Code),
			Level:     sarifLevel(d.Severity),
			Message:   sarifMessage{Text: fieldMessage(d)},
			Locations: locations,
		}
		if i, ok := codeInfo[d.Code]; ok {
			result.RuleIndex = &i
		}
		run.Results = append(run.Results, result)
	}
	run.Invocations = []sarifInvocation{invocation}
	return encodeJSON(w, sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}})
}

func sarifRules() []sarifRule {
	rules := make([]sarifRule, len(schema.Codes))
	for i, c := range schema.Codes {
		rules[i] = sarifRule{
			ID:                   string(c.Code),
			Name:                 c.Name,
			ShortDescription:     sarifMessage{Text: c.Meaning},
			Help:                 sarifMessage{Text: c.Fix},
			HelpURI:              codesURI + "#" + strings.ToLower(string(c.Code)),
			DefaultConfiguration: sarifConfiguration{Level: sarifLevel(c.Severity)},
		}
	}
	return rules
}

func sarifLevel(s schema.Severity) string {
	if s == schema.SeverityWarning {
		return "warning"
	}
	return "error"
}

// sarifLocations is where the diagnostic is, or nothing for a problem of
// the inputs as a whole.
func sarifLocations(d schema.Diagnostic, base string) []sarifLocation {
	if d.File == "" {
		return nil
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{
		ArtifactLocation: sarifArtifactLocation{URI: fileURI(d.File, base)},
	}}
	if d.Line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: d.Line, StartColumn: d.Column}
	}
	return []sarifLocation{loc}
}

// fileURI is the file name as a relative URI reference: forward slashes,
// escaped as a URI path ("<stdin>" becomes %3Cstdin%3E), and relative to
// base when it was absolute.
func fileURI(file, base string) string {
	return (&url.URL{Path: relative(file, base)}).String()
}
