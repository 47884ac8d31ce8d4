package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/meshwright/meshwright/internal/testspec"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// The rules tests load a valid base Mesh and Tenant, each case changed by a
// small YAML fragment, through load.Spec, and check every diagnostic that
// comes back: resource, field path, code, and a key part of the message.

// baseMesh is valid and exercises the gateways and certificates the
// tenant rules refer to.
const baseMesh = testspec.Mesh + `  gateways:
    egress:
      - name: istio-egressgateway
  certificates:
    issuer:
      vault:
        server: https://vault.example.com
        path: pki/sign/mesh
        role: mesh
`

// baseTenant is valid and has an owner, an exposed service and an egress
// entry, so that each rule runs on the base.
const baseTenant = `
apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  owners:
    - kind: Group
      name: shop-admins
  namespaces:
    - name: shop
  services:
    - name: web
      port: 80
      ingress: {}
  egress:
    - name: payments
      host: api.payments.example.net
`

// ruleCase is one input: the base documents changed by mesh and tenant
// (merged key by key; lists and scalars replaced; "(delete)" removes a key),
// plus further whole documents, and every diagnostic expected.
type ruleCase struct {
	name   string
	mesh   string
	tenant string
	extra  []string
	want   []want
}

// want is one expected diagnostic; msg is a key part of its message.
type want struct {
	resource string
	path     string
	code     schema.Code
	msg      string
}

const (
	mesh = "Mesh/platform"
	shop = "Tenant/shop"
)

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	if len(cases) == 0 || cases[0].mesh != "" || cases[0].tenant != "" || len(cases[0].want) != 0 {
		t.Fatal("the first case must be the unchanged base, which passes")
	}
	names := map[string]bool{}
	for _, tc := range cases {
		if names[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			files := []schema.File{
				{Path: "mesh.yaml", Data: patched(t, baseMesh, tc.mesh)},
				{Path: "tenant.yaml", Data: patched(t, baseTenant, tc.tenant)},
			}
			for i, doc := range tc.extra {
				files = append(files, schema.File{Path: fmt.Sprintf("extra%d.yaml", i), Data: []byte(doc)})
			}
			spec, diags := load.Spec(files)
			if len(tc.want) == 0 {
				if spec == nil || spec.Mesh == nil || len(spec.Tenants) != 1+len(tc.extra) {
					t.Errorf("valid input did not load: %v", diags)
				}
			} else if spec != nil {
				t.Error("input with errors loaded")
			}
			var got []string
			matched := make([]bool, len(diags))
			for _, w := range tc.want {
				found := false
				for i, d := range diags {
					if !matched[i] && d.Resource == w.resource && d.Path.String() == w.path && d.Code == w.code && strings.Contains(d.Message, w.msg) {
						matched[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing: %s %s [%s] ...%s...", w.resource, w.path, w.code, w.msg)
				}
			}
			for i, d := range diags {
				got = append(got, fmt.Sprintf("  %s %s", d.Resource, d))
				if !matched[i] {
					t.Errorf("unexpected: %s %s", d.Resource, d)
				}
			}
			if t.Failed() {
				t.Logf("all diagnostics:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// patched merges the YAML fragment patch into the document base.
func patched(t *testing.T, base, patch string) []byte {
	t.Helper()
	root := testspec.Mapping(t, base)
	if strings.TrimSpace(patch) != "" {
		testspec.Merge(root, testspec.Mapping(t, patch))
	}
	out, err := yaml.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tenant is a whole further Tenant document.
func tenant(name, spec string) string {
	return fmt.Sprintf("apiVersion: meshwright.dev/v1alpha1\nkind: Tenant\nmetadata: {name: %s}\nspec: %s\n", name, spec)
}
