package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidInputs runs the CLI on every case of testdata/invalid/. Each
// case's errors.txt is the reviewed expectation: every error, located as
// file:line:col, paths relative to the case directory. Nothing may reach
// stdout, and render -o must leave its directory as it was.
func TestInvalidInputs(t *testing.T) {
	cases, err := filepath.Glob("../testdata/invalid/*")
	if err != nil || len(cases) < 15 {
		t.Fatalf("want at least 15 invalid cases, found %d (%v)", len(cases), err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"render", dir}, nil, &stdout, &stderr); code != exitError {
				t.Errorf("exit status %d, want %d", code, exitError)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout is not empty:\n%s", stdout.String())
			}
			got := strings.ReplaceAll(stderr.String(), dir+string(filepath.Separator), "")
			expectFile(t, filepath.Join(dir, "errors.txt"), got)

			out := t.TempDir()
			sentinel := filepath.Join(out, "keep.yaml")
			if err := os.WriteFile(sentinel, []byte("kept\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			stdout.Reset()
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

// expectFile compares got with a reviewed expectation file, or rewrites it
// under -update.
func expectFile(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden to create it, then review it)", err)
	}
	if got != string(want) {
		t.Errorf("errors differ from %s:\n--- want\n%s--- got\n%s", path, want, got)
	}
}
