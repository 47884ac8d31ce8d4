package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSchemaCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		key  string // a top-level key of the printed document
		want any
	}{
		{[]string{"schema"}, "$schema", "https://json-schema.org/draft/2020-12/schema"},
		{[]string{"schema", "--format", "jsonschema"}, "$schema", "https://json-schema.org/draft/2020-12/schema"},
		{[]string{"schema", "--format", "openapi"}, "openapi", "3.1.0"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, nil, &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var doc map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
			if doc[tc.key] != tc.want {
				t.Errorf("%s = %v, want %v", tc.key, doc[tc.key], tc.want)
			}
		})
	}
}

func TestSchemaCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"schema", "--format", "xsd"}, {"schema", "mesh.yaml"}, {"schema", "--bogus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if stdout.Len() > 0 {
			t.Errorf("%v: printed %q on a usage error", args, stdout.String())
		}
	}
}
