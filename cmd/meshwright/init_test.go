package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitWritesASpecThatRenders: what init writes validates without a
// warning and renders, for the default names and for chosen ones.
func TestInitWritesASpecThatRenders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flags  []string
		tenant string
	}{
		{"defaults", nil, "team-a"},
		{"chosen names", []string{"--mesh", "prod", "--tenant", "shop", "--domain", "apps.example.org"}, "shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "platform")
			r := runCLI(t, nil, append([]string{"init", dir}, tc.flags...)...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("init: exit status %d:\n%s", r.code, r.stderr)
			}
			mesh, tenant := filepath.Join(dir, "mesh.yaml"), filepath.Join(dir, "tenants", tc.tenant+".yaml")
			for _, f := range []string{mesh, tenant} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(string(data), "# ") {
					t.Errorf("%s does not start with a comment", f)
				}
				if !strings.Contains(r.stdout, "created "+f+"\n") {
					t.Errorf("init does not say it created %s:\n%s", f, r.stdout)
				}
			}
			if r := runCLI(t, nil, "validate", dir); r.code != exitOK || r.stderr != "" {
				t.Errorf("validate: exit status %d:\n%s", r.code, r.stderr)
			}
			r = runCLI(t, nil, "render", dir)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("render: exit status %d:\n%s", r.code, r.stderr)
			}
			for _, want := range []string{"kind: IstioOperator", "meshwright.dev/source: Tenant/" + tc.tenant, "name: istio-ingressgateway"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the rendered spec has no %q", want)
				}
			}
		})
	}
}

// TestInitCommentedExamplesValidate: the commented-out examples are
// valid too, once uncommented (the egress gateway with the certificates
// and the exposed service, which needs them).
func TestInitCommentedExamplesValidate(t *testing.T) {
	dir := t.TempDir()
	if r := runCLI(t, nil, "-q", "init", dir); r.code != exitOK || r.stdout != "" {
		t.Fatalf("init -q: exit status %d, stdout %q", r.code, r.stdout)
	}
	for _, f := range []string{filepath.Join(dir, "mesh.yaml"), filepath.Join(dir, "tenants", "team-a.yaml")} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, line := range strings.Split(string(data), "\n") {
			// "  # key: value" and "  #   - item" are examples; "  # words" are not
			if trimmed := strings.TrimLeft(line, " "); strings.HasPrefix(trimmed, "# ") && looksLikeYAML(trimmed[2:]) && len(line) > len(trimmed) {
				line = line[:len(line)-len(trimmed)] + trimmed[2:]
			}
			lines = append(lines, line)
		}
		if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for file, example := range map[string]string{
		"mesh.yaml":           "\n  certificates:\n",
		"tenants/team-a.yaml": "\n    - name: web\n      port: 8080\n      ingress:\n        tls: SIMPLE\n",
	} {
		if data, _ := os.ReadFile(filepath.Join(dir, file)); !strings.Contains(string(data), example) {
			t.Errorf("%s: example %q not uncommented:\n%s", file, example, data)
		}
	}
	if r := runCLI(t, nil, "validate", dir); r.code != exitOK || r.stderr != "" {
		mesh, _ := os.ReadFile(filepath.Join(dir, "mesh.yaml"))
		t.Errorf("validate with the examples uncommented: exit status %d:\n%s\n%s", r.code, r.stderr, mesh)
	}
}

func looksLikeYAML(s string) bool {
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, "- ") {
		return true
	}
	key, _, ok := strings.Cut(s, ":")
	return ok && key != "" && !strings.ContainsAny(key, " ,.()") && !strings.HasPrefix(s, "From")
}

// TestInitNeverOverwrites: with either file present, init writes nothing
// and says why (exit status 1).
func TestInitNeverOverwrites(t *testing.T) {
	for _, existing := range []string{"mesh.yaml", "tenants/team-a.yaml"} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, existing)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("mine\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, nil, "init", dir)
			if r.code != exitFindings || !strings.Contains(r.stderr, "already exists") {
				t.Errorf("exit status %d, stderr %q; want 1 and why", r.code, r.stderr)
			}
			if data, _ := os.ReadFile(path); string(data) != "mine\n" {
				t.Errorf("%s overwritten", existing)
			}
			var files []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, p)
				}
				return err
			})
			if len(files) != 1 {
				t.Errorf("init wrote files next to the existing one: %v", files)
			}
		})
	}
}

func TestInitRefusesBadNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"tenant not a DNS label", []string{"--tenant", "Team_A"}, exitUsage, `--tenant "Team_A"`},
		{"tenant as a path", []string{"--tenant", "../evil"}, exitUsage, `--tenant "../evil"`},
		{"mesh not a DNS label", []string{"--mesh", "prod.eu"}, exitUsage, `--mesh "prod.eu"`},
		{"domain without a dot", []string{"--domain", "localhost"}, exitUsage, `--domain "localhost"`},
		{"tenant in a reserved namespace", []string{"--tenant", "kube-public"}, exitFindings, "[MW0303]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := runCLI(t, nil, append([]string{"init", dir}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.says) {
				t.Errorf("exit status %d, stderr:\n%s\nwant %d and %q", r.code, r.stderr, tc.code, tc.says)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("init wrote %v", entries)
			}
		})
	}
}
