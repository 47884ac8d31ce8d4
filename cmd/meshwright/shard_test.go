package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestRenderShard: --tenants and --mesh=false narrow what render writes.
func TestRenderShard(t *testing.T) {
	const spec = "../../examples/zero-trust/spec"
	for _, tc := range []struct {
		args    []string
		code    int
		sources []string
	}{
		{[]string{"render", spec, "--tenants", "payments"}, exitOK, []string{"Mesh/platform", "Tenant/payments"}},
		{[]string{"render", "--tenants", "payments,inventory", "--mesh=false", spec}, exitOK, []string{"Tenant/inventory", "Tenant/payments"}},
		{[]string{"render", spec, "--tenants", ""}, exitOK, []string{"Mesh/platform"}},
		{[]string{"render", spec, "--tenants", "checkout"}, exitFindings, nil},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, nil, &stdout, &stderr); code != tc.code {
			t.Fatalf("%v: exit %d, want %d\n%s", tc.args, code, tc.code, stderr.String())
		}
		var got []string
		for _, line := range strings.Split(stdout.String(), "\n") {
			if s, ok := strings.CutPrefix(strings.TrimSpace(line), "meshwright.dev/source: "); ok && !slices.Contains(got, s) {
				got = append(got, s)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.sources) {
			t.Errorf("%v: sources %v, want %v", tc.args, got, tc.sources)
		}
	}
}
