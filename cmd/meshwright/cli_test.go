package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

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
				var stdout, stderr bytes.Buffer
				if code := run(args, nil, &stdout, &stderr); code != exitError {
					t.Errorf("%s: exit status %d, want %d", args[0], code, exitError)
				}
				if stdout.Len() > 0 || stderr.Len() == 0 {
					t.Errorf("%s: %d bytes on stdout, %d on stderr; want none, and the problems", args[0], stdout.Len(), stderr.Len())
				}
			}
			out := t.TempDir()
			sentinel := filepath.Join(out, "keep.yaml")
			if err := os.WriteFile(sentinel, []byte("kept\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"render", "-o", out, dir}, nil, &stdout, &stderr); code != exitError {
				t.Errorf("render -o: exit status %d, want %d", code, exitError)
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
	dir := "../../testdata/warnings/mutual-without-client-ca"
	for _, args := range [][]string{{"validate", dir}, {"render", dir}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != exitOK {
			t.Errorf("%s: exit status %d, want %d\n%s", args[0], code, exitOK, stderr.String())
		}
		if !bytes.Contains(stderr.Bytes(), []byte("warning: ")) {
			t.Errorf("%s: no warning on stderr: %q", args[0], stderr.String())
		}
		if args[0] == "render" && stdout.Len() == 0 {
			t.Error("render: nothing on stdout")
		}
	}
}
