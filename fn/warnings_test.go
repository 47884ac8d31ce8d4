package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestWarnings runs validate and render on testdata/warnings/: problems
// that must be reported without failing. warnings.txt is the reviewed
// expectation.
func TestWarnings(t *testing.T) {
	cases, err := filepath.Glob("../testdata/warnings/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no warning cases found (%v)", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"validate", dir}, nil, &stdout, &stderr); code != exitOK {
				t.Errorf("validate: exit status %d, want %d\n%s", code, exitOK, stderr.String())
			}
			got := strings.ReplaceAll(stderr.String(), dir+string(filepath.Separator), "")
			expectFile(t, filepath.Join(dir, "warnings.txt"), got)

			stdout.Reset()
			stderr.Reset()
			if code := run([]string{"render", dir}, nil, &stdout, &stderr); code != exitOK || stdout.Len() == 0 {
				t.Errorf("render: exit status %d with %d bytes of output, want 0 and objects", code, stdout.Len())
			}
		})
	}
}
