package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKptRender runs the package's Kptfile pipeline (exec: meshwright) with
// the real kpt, the way a user does in the package directory:
//
//	kpt fn render --allow-exec
//
// The steps share the package and run in order.
func TestKptRender(t *testing.T) {
	kpt := kpt(t)
	pkg := kptPackage(t, "")
	render := func(args ...string) result {
		return command(t, pkg, nil, kpt, append([]string{"fn", "render", "--allow-exec"}, args...)...)
	}

	t.Run("first render writes one file per object", func(t *testing.T) {
		before := readTree(t, pkg)
		if r := render(); r.err != nil {
			t.Fatalf("kpt fn render: %s", r)
		}
		checkRendered(t, pkg, before)
	})

	t.Run("second render changes nothing", func(t *testing.T) {
		before := readTree(t, pkg)
		if r := render(); r.err != nil {
			t.Fatalf("kpt fn render: %s", r)
		}
		if d := diffTrees(before, readTree(t, pkg)); d != "" {
			t.Errorf("the second render changed the package:\n%s", d)
		}
	})

	t.Run("deleting a tenant deletes its files", func(t *testing.T) {
		if err := os.Remove(filepath.Join(pkg, "tenants", "shop.yaml")); err != nil {
			t.Fatal(err)
		}
		before := readTree(t, pkg)
		if len(subtree(before, "rendered/tenant/shop")) == 0 {
			t.Fatal("Tenant/shop had no rendered files to delete")
		}
		if r := render(); r.err != nil {
			t.Fatalf("kpt fn render: %s", r)
		}
		if left := subtree(readTree(t, pkg), "rendered/tenant/shop"); len(left) != 0 {
			t.Errorf("files of the deleted Tenant/shop remain: %v", sortedKeys(left))
		}
		checkRendered(t, pkg, before)
	})

	t.Run("a broken tenant fails the render and changes nothing", func(t *testing.T) {
		line := breakTenant(t, pkg)
		before := readTree(t, pkg)
		results := t.TempDir()
		r := render("--results-dir", results)
		if r.err == nil {
			t.Fatalf("kpt fn render succeeded on a broken tenant: %s", r)
		}
		if d := diffTrees(before, readTree(t, pkg)); d != "" {
			t.Errorf("the failed render changed the package:\n%s", d)
		}
		b, err := os.ReadFile(filepath.Join(results, "results.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		message := fmt.Sprintf("tenants/bookinfo.yaml:%d:7: spec.namespaces[0].bogus: field not allowed [MW0100]", line)
		for _, want := range []string{
			"message: '" + message + "'",
			"path: spec.namespaces[0].bogus",
			"path: tenants/bookinfo.yaml",
			"kind: Tenant",
			"name: bookinfo",
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("results.yaml lacks %q:\n%s", want, b)
			}
		}
		if !strings.Contains(r.stdout+r.stderr, message) {
			t.Errorf("kpt does not show %q:\n%s", message, r)
		}
	})
}
