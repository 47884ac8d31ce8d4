package diff

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ (go test ./diff -run TestCanaryUpgrade -update)")

// TestCanaryUpgrade compares the two steps of the repository's canary
// upgrade example, from their specs and from their rendered trees: both
// must tell the same story, which testdata/canary-upgrade.{txt,md} hold.
func TestCanaryUpgrade(t *testing.T) {
	fromSpecs := compareSteps(t, filepath.Join("..", "examples", "canary-upgrade"))

	for format, name := range map[Format]string{Text: "canary-upgrade.txt", Markdown: "canary-upgrade.md"} {
		var b bytes.Buffer
		if err := Write(&b, fromSpecs, format); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./diff -run TestCanaryUpgrade -update)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s is stale (review, then go test ./diff -run TestCanaryUpgrade -update); got:\n%s", golden, b.Bytes())
		}
	}

	// The story the README tells: the old control plane's IstioOperator is
	// removed; the new one takes over the gateways, the CNI and the stable
	// tag; the canaried namespace moves to the stable tag; bookinfo, on the
	// tag all along, does not change.
	type field struct {
		path     string
		old, new any
	}
	want := map[string]map[string][]field{
		"Mesh/platform": {
			"removed IstioOperator istio-system/installed-state-1-30-2": nil,
			"changed IstioOperator istio-system/installed-state-1-31-0": {
				{"spec.components.cni.enabled", false, true},
				{"spec.components.ingressGateways[0].enabled", false, true},
				{"spec.values.revisionTags[0]", "canary", "stable"},
			},
		},
		"Tenant/sleep": {
			"changed Namespace sleep": {{`metadata.labels["istio.io/rev"]`, "canary", "stable"}},
		},
	}
	if len(fromSpecs.Sources) != len(want) {
		t.Errorf("%d sources changed, want %d", len(fromSpecs.Sources), len(want))
	}
	for _, sd := range fromSpecs.Sources {
		objects := want[sd.Source]
		if len(sd.Objects) != len(objects) {
			t.Errorf("%s: %d objects, want %d", sd.Source, len(sd.Objects), len(objects))
		}
		for _, d := range sd.Objects {
			fields, ok := objects[string(d.Change)+" "+d.ID.String()]
			if !ok {
				t.Errorf("%s: unexpected %s %s", sd.Source, d.Change, d.ID)
			}
			for _, f := range fields {
				found := false
				for _, g := range d.Fields {
					if g.Path == f.path && g.Op == FieldChanged && g.Old == f.old && g.New == f.new {
						found = true
					}
				}
				if !found {
					t.Errorf("%s %s: no %s: %v → %v among %+v", sd.Source, d.ID, f.path, f.old, f.new, d.Fields)
				}
			}
		}
	}
	if !reflect.DeepEqual(fromSpecs.Unchanged, []string{"Tenant/bookinfo"}) {
		t.Errorf("unchanged: %v, want Tenant/bookinfo", fromSpecs.Unchanged)
	}
}

// TestGatewayAPIMigration compares the two steps of the gateway-api
// example, where the storefront moves its web service from the Istio-API
// gateway to the Gateway API one: its objects in the gateway's namespace
// (the certificate, the RoleBinding into it) go, the ListenerSet, HTTPRoute
// and certificate in its own namespace come, the ingress ALLOW names the
// new gateway's identity, and nothing else changes. The README shows the
// text form, testdata/gateway-api-migration.txt.
func TestGatewayAPIMigration(t *testing.T) {
	example := filepath.Join("..", "examples", "gateway-api")
	fromSpecs := compareSteps(t, example)
	shownInREADME(t, example, "gateway-api-migration.txt", text(t, fromSpecs))

	changes := map[string]bool{}
	for _, sd := range fromSpecs.Sources {
		for _, d := range sd.Objects {
			changes[sd.Source+": "+string(d.Change)+" "+d.ID.String()] = true
		}
	}
	wantChanges := map[string]bool{
		"Tenant/storefront: removed Gateway storefront/web-gateway":                             true,
		"Tenant/storefront: removed VirtualService storefront/web":                              true,
		"Tenant/storefront: removed Certificate istio-system/storefront-web-cert":               true,
		"Tenant/storefront: removed RoleBinding istio-system/meshwright:tenant-edge:storefront": true,
		"Tenant/storefront: added ListenerSet storefront/web":                                   true,
		"Tenant/storefront: added HTTPRoute storefront/web":                                     true,
		"Tenant/storefront: added Certificate storefront/web-cert":                              true,
		"Tenant/storefront: changed AuthorizationPolicy storefront/web-ingress":                 true,
	}
	if !reflect.DeepEqual(changes, wantChanges) {
		t.Errorf("changes:\n%v\nwant:\n%v", changes, wantChanges)
	}
	if !reflect.DeepEqual(fromSpecs.Unchanged, []string{"Mesh/platform", "Tenant/partners"}) {
		t.Errorf("unchanged: %v, want Mesh/platform, Tenant/partners", fromSpecs.Unchanged)
	}
}

// compareSteps compares an example's before and after steps from their
// specs, checks their rendered trees tell the same, and returns the first.
func compareSteps(t *testing.T, example string) Result {
	t.Helper()
	fromSpecs := mustCompare(t,
		mustLoad(t, filepath.Join(example, "before", "spec")), mustLoad(t, filepath.Join(example, "after", "spec")))
	fromTrees := mustCompare(t,
		mustLoad(t, filepath.Join(example, "before", "rendered")), mustLoad(t, filepath.Join(example, "after", "rendered")))
	if !reflect.DeepEqual(fromSpecs, fromTrees) {
		t.Errorf("the specs and the rendered trees differ differently:\nspecs:\n%s\nrendered:\n%s", text(t, fromSpecs), text(t, fromTrees))
	}
	return fromSpecs
}

// TestAmbientMove compares the two steps of the ambient example, where
// shop-api and shop-jobs move to ambient: the control plane gains ztunnel
// and the waypoints' token validation, the two namespaces their ambient
// objects, and shop-web, still on sidecars, does not change. The README
// shows the text form, testdata/ambient-move.txt.
func TestAmbientMove(t *testing.T) {
	example := filepath.Join("..", "examples", "ambient")
	got := text(t, compareSteps(t, example))
	shownInREADME(t, example, "ambient-move.txt", got)
	if strings.Contains(got, "shop-web") {
		t.Errorf("the move touches shop-web, which stays on sidecars:\n%s", got)
	}
}

// shownInREADME checks a diff's text against its reviewed golden
// (testdata/<name>, rewritten with -update) and that the example's README
// shows it verbatim.
func shownInREADME(t *testing.T, example, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./diff -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s is stale (review, then go test ./diff -run %s -update); got:\n%s", golden, t.Name(), got)
	}
	readme, err := os.ReadFile(filepath.Join(example, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, want) {
		t.Errorf("%s does not show %s verbatim", filepath.Join(example, "README.md"), golden)
	}
}

// TestCanaryUpgradeWithFlux compares the two steps of the canary upgrade
// installed by Flux: the promotion is as small as with istioctl, one
// intended change per line. The old istiod's release and chart source go;
// the releases installed once per cluster (CNI, gateways) move to the new
// revision and its chart version, as do the CRDs' chart and the default
// validation webhook; the new istiod takes the stable tag. The README
// shows the text form, testdata/canary-upgrade-flux.txt.
func TestCanaryUpgradeWithFlux(t *testing.T) {
	example := filepath.Join("..", "examples", "canary-upgrade-flux")
	fromSpecs := compareSteps(t, example)
	shownInREADME(t, example, "canary-upgrade-flux.txt", text(t, fromSpecs))

	changes := map[string]bool{}
	for _, sd := range fromSpecs.Sources {
		for _, d := range sd.Objects {
			for _, f := range d.Fields {
				changes[fmt.Sprintf("%s %s %s: %v → %v", sd.Source, d.Change, d.ID, f.Path, f.New)] = true
			}
			if len(d.Fields) == 0 {
				changes[fmt.Sprintf("%s %s %s", sd.Source, d.Change, d.ID)] = true
			}
		}
	}
	want := map[string]bool{
		"Mesh/platform changed HelmRelease istio-system/istio-base: spec.values.defaultRevision → 1-31-0":             true,
		"Mesh/platform removed HelmRelease istio-system/istiod-1-30-2":                                                true,
		"Mesh/platform removed OCIRepository istio-system/istiod-1-30-2":                                              true,
		"Mesh/platform changed HelmRelease istio-system/istiod-1-31-0: spec.values.revisionTags[0] → stable":          true,
		"Mesh/platform changed HelmRelease istio-system/istio-cni: spec.values.global.tag → 1.31.0":                   true,
		"Mesh/platform changed HelmRelease istio-system/istio-cni: spec.values.revision → 1-31-0":                     true,
		"Mesh/platform changed HelmRelease istio-system/istio-ingressgateway: spec.dependsOn[0].name → istiod-1-31-0": true,
		"Mesh/platform changed HelmRelease istio-system/istio-ingressgateway: spec.values.revision → 1-31-0":          true,
		"Mesh/platform changed OCIRepository istio-system/istio-base: spec.ref.tag → 1.31.0":                          true,
		"Mesh/platform changed OCIRepository istio-system/istio-cni: spec.ref.tag → 1.31.0":                           true,
		"Mesh/platform changed OCIRepository istio-system/istio-ingressgateway: spec.ref.tag → 1.31.0":                true,
		`Tenant/sleep changed Namespace sleep: metadata.labels["istio.io/rev"] → stable`:                              true,
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes:\n%v\nwant:\n%v", changes, want)
	}
}
