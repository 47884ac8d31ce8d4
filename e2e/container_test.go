package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// image is the tag make image builds and the tests run.
const image = "localhost/meshwright:dev"

// podmanEnv makes kpt run function containers with podman.
var podmanEnv = []string{"KPT_FN_RUNTIME=podman"}

// TestContainer builds the image with make image, as a user does, and runs
// it under kpt (fn eval, and a Kptfile image: pipeline) and under kustomize
// (a container: function, through a docker shim that execs podman).
func TestContainer(t *testing.T) {
	tool(t, "podman", "podman")
	tool(t, "buildah", "buildah")
	kpt := kpt(t)
	if r := command(t, repoRoot, nil, "make", "image", "IMAGE="+image); r.err != nil {
		t.Fatalf("make image: %s", r)
	}

	t.Run("kpt fn eval --image", func(t *testing.T) {
		pkg := kptPackage(t, "")
		before := readTree(t, pkg)
		if r := command(t, pkg, podmanEnv, kpt, "fn", "eval", "--image", image); r.err != nil {
			t.Fatalf("kpt fn eval: %s", r)
		}
		checkRendered(t, pkg, before)
	})

	t.Run("Kptfile image pipeline", func(t *testing.T) {
		pkg := kptPackage(t, kptfileWith("    - image: "+image+"\n"))
		before := readTree(t, pkg)
		if r := command(t, pkg, podmanEnv, kpt, "fn", "render"); r.err != nil {
			t.Fatalf("kpt fn render: %s", r)
		}
		checkRendered(t, pkg, before)

		// the container cannot read the package: the line is the resource's,
		// and the message says so
		line := breakTenant(t, pkg)
		before = readTree(t, pkg)
		r := command(t, pkg, podmanEnv, kpt, "fn", "render")
		if r.err == nil {
			t.Fatalf("kpt fn render succeeded on a broken tenant: %s", r)
		}
		if d := diffTrees(before, readTree(t, pkg)); d != "" {
			t.Errorf("the failed render changed the package:\n%s", d)
		}
		want := fmt.Sprintf("tenants/bookinfo.yaml: spec.namespaces[0].bogus: field not allowed (line %d of Tenant/bookinfo as the function received it, not of the file: the function cannot read tenants/bookinfo.yaml) [MW0100]", line)
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("kpt does not show %q:\n%s", want, r)
		}
	})

	t.Run("kustomize container function", func(t *testing.T) {
		root := overlayTree(t)
		mustWrite(t, filepath.Join(root, "overlays", "prod", "meshwright.yaml"), containerFunction)
		// kustomize runs container functions with docker
		shim := filepath.Join(root, "shim")
		mustWrite(t, filepath.Join(shim, "docker"), "#!/bin/sh\nexec podman \"$@\"\n")
		if err := os.Chmod(filepath.Join(shim, "docker"), 0o755); err != nil {
			t.Fatal(err)
		}
		path := "PATH=" + shim + string(os.PathListSeparator) + os.Getenv("PATH")
		r := kustomizeBuild(t, root, []string{path}, "overlays/prod")
		if r.err != nil {
			t.Fatalf("kustomize build: %s", r)
		}
		if findObject(parseStream(t, r.stdout), "PeerAuthentication", "istio-system", "default") == nil {
			t.Fatalf("the container function rendered nothing:\n%s", r.stdout)
		}
		// the same output as the exec function's reviewed golden
		checkGoldenUnchanged(t, filepath.Join("testdata", "golden", "kustomize-prod.yaml"), r.stdout)
	})
}

// containerFunction is overlays/prod/meshwright.yaml for the container
// image instead of the binary.
const containerFunction = `apiVersion: v1
kind: ConfigMap
metadata:
  name: meshwright
  annotations:
    config.kubernetes.io/function: |
      container:
        image: localhost/meshwright:dev
`

// checkGoldenUnchanged compares with a golden another test owns; -update
// never rewrites it from here.
func checkGoldenUnchanged(t *testing.T, name, got string) {
	t.Helper()
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s:\n%s", name, lineDiff(string(want), got))
	}
}
