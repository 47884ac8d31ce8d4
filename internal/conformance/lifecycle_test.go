package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	trustv1alpha1 "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	trustv1alpha2 "github.com/cert-manager/trust-manager/pkg/apis/trustmanager/v1alpha2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshwright/meshwright/schema/load"
)

const trustManagerModule = "github.com/cert-manager/trust-manager"

func pinnedKubernetes(t *testing.T) Release {
	t.Helper()
	r, err := PinnedKubernetes()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// targetRelease is the Kubernetes release a tree is applied to: for a
// rendered tree, its Mesh's spec.kubernetesVersion (as the product's loader
// defaults it) from the spec/ beside it; for an overlay output, whose Mesh
// kustomize assembles from patches, the pinned Kubernetes, the strictest.
func targetRelease(t *testing.T, tree string, pinned Release) (Release, string) {
	t.Helper()
	if filepath.Base(tree) != "rendered" {
		return pinned, "pinned k8s.io/api"
	}
	specDir := filepath.Join(filepath.Dir(tree), "spec")
	spec, err := load.Load(specDir)
	if err != nil {
		t.Fatalf("%s: loading the tree's spec for its Kubernetes version: %v", specDir, err)
	}
	if spec.Mesh == nil {
		t.Fatalf("%s: no Mesh", specDir)
	}
	v := spec.Mesh.Spec.KubernetesVersion
	return Release{Major: v.Major, Minor: v.Minor}, "Mesh spec.kubernetesVersion"
}

// TestRenderedObjectsUseCurrentAPIs applies the API lifecycle rule
// (lifecycle.go) to every object of every rendered tree and overlay output,
// at the Kubernetes release its Mesh targets, and logs the API versions
// checked.
func TestRenderedObjectsUseCurrentAPIs(t *testing.T) {
	v := validator(t)
	pinned := pinnedKubernetes(t)
	checked := map[string]map[string]bool{} // "apiVersion Kind" -> targets
	var targets []string
	for _, tree := range append(trees(t), overlayOutputs(t)...) {
		target, from := targetRelease(t, tree, pinned)
		targets = append(targets, fmt.Sprintf("  %-36s Kubernetes %s (%s)", TreeName(repoRoot, tree), target, from))
		docs, err := ReadTree(tree)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			problems, accepted := v.Lifecycle(d, target)
			for _, e := range problems {
				t.Errorf("%s: %v", d, e)
			}
			for _, a := range accepted {
				t.Logf("%s: %s", d, a)
			}
			key := d.Object.GetAPIVersion() + " " + d.Object.GetKind()
			if checked[key] == nil {
				checked[key] = map[string]bool{}
			}
			checked[key][target.String()] = true
		}
	}
	t.Logf("targets:\n%s", strings.Join(targets, "\n"))
	var lines []string
	for k, ts := range checked {
		var list []string
		for r := range ts {
			list = append(list, r)
		}
		sort.Strings(list)
		lines = append(lines, fmt.Sprintf("  %-48s at Kubernetes %s", k, strings.Join(list, ", ")))
	}
	sort.Strings(lines)
	t.Logf("API versions checked:\n%s", strings.Join(lines, "\n"))
}

type lifecycleCase struct {
	brokenCase
	target Release
}

func at(target Release, c brokenCase) lifecycleCase {
	return lifecycleCase{brokenCase: c, target: target}
}

var (
	k121 = Release{1, 21}
	k124 = Release{1, 24}
	k125 = Release{1, 25}
	k130 = Release{1, 30}
	k137 = Release{1, 37}
)

const (
	podDisruptionBudgetYAML = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: istiod, namespace: istio-system}
spec: {minAvailable: 1, selector: {matchLabels: {app: istiod}}}
`
	clusterTrustBundleYAML = `apiVersion: certificates.k8s.io/v1beta1
kind: ClusterTrustBundle
metadata: {name: enterprise-root-ca}
spec: {trustBundle: "-----BEGIN CERTIFICATE-----"}
`
)

// deprecatedObjects prove the lifecycle rule can fail, one case per signal:
// each is a well-formed object of cases_test.go with its apiVersion moved.
var deprecatedObjects = []lifecycleCase{
	// Istio: the pinned CRDs serve v1beta1 and v1alpha3 without marking them
	// deprecated; v1 is the newest version they serve.
	at(k137, broken("AuthorizationPolicy v1beta1", authorizationPolicyYAML, "security.istio.io/v1", "security.istio.io/v1beta1",
		"superseded: the pinned CRD authorizationpolicies.security.istio.io (crd-all.gen.yaml) serves security.istio.io/v1 AuthorizationPolicy, its newest version")),
	at(k137, broken("Gateway v1alpha3", gatewayYAML, "networking.istio.io/v1", "networking.istio.io/v1alpha3",
		"superseded: the pinned CRD gateways.networking.istio.io (crd-all.gen.yaml) serves networking.istio.io/v1 Gateway")),
	at(k137, broken("PeerAuthentication version the CRD does not have", peerAuthenticationYAML, "security.istio.io/v1", "security.istio.io/v2",
		"the pinned CRD peerauthentications.security.istio.io (crd-all.gen.yaml) has no version v2 (it has [v1 v1beta1])")),
	// trust-manager: Bundle's successor has no pinned CRD installed.
	at(k137, unedited("ClusterBundle", clusterBundleYAML, "no pinned upstream defines trust-manager.io/v1alpha2 ClusterBundle")),
	// Built-in kinds: k8s.io/api's lifecycle at the target release, in the
	// API server's words.
	at(k125, unedited("PodSecurityPolicy at 1.25", podSecurityPolicyYAML,
		"Kubernetes 1.25 no longer serves it: policy/v1beta1 PodSecurityPolicy is deprecated in v1.21+, unavailable in v1.25+")),
	at(k137, unedited("PodSecurityPolicy at the pinned Kubernetes", podSecurityPolicyYAML,
		"Kubernetes 1.37 no longer serves it")),
	at(k124, broken("PodDisruptionBudget policy/v1beta1 at 1.24", podDisruptionBudgetYAML, "policy/v1", "policy/v1beta1",
		"Kubernetes 1.24 warns on every apply: policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+; use policy/v1 PodDisruptionBudget")),
	at(k121, broken("RoleBinding rbac v1beta1 at 1.21", roleBindingYAML, "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
		"Kubernetes 1.21 warns on every apply: rbac.authorization.k8s.io/v1beta1 RoleBinding is deprecated in v1.17+, unavailable in v1.22+; use rbac.authorization.k8s.io/v1 RoleBinding")),
	at(k130, broken("RoleBinding rbac v1beta1 at 1.30", roleBindingYAML, "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
		"Kubernetes 1.30 no longer serves it")),
	at(k130, broken("NetworkPolicy extensions/v1beta1", networkPolicyYAML, "networking.k8s.io/v1", "extensions/v1beta1",
		"Kubernetes 1.30 no longer serves it: extensions/v1beta1 NetworkPolicy is deprecated in v1.9+, unavailable in v1.16+; use networking.k8s.io/v1 NetworkPolicy")),
	at(k130, broken("NetworkPolicy version that never existed", networkPolicyYAML, "networking.k8s.io/v1", "networking.k8s.io/v2",
		"Kubernetes serves no networking.k8s.io/v2 NetworkPolicy")),
	at(k130, unedited("ClusterTrustBundle v1beta1 before its release", clusterTrustBundleYAML,
		"Kubernetes 1.30 does not serve certificates.k8s.io/v1beta1 ClusterTrustBundle yet: it was introduced in v1.33")),
	at(k137, unedited("ClusterTrustBundle v1beta1 at 1.37", clusterTrustBundleYAML,
		"Kubernetes 1.37 warns on every apply: certificates.k8s.io/v1beta1 ClusterTrustBundle is deprecated in v1.37+, unavailable in v1.40+; use certificates.k8s.io/v1 ClusterTrustBundle")),
	at(k137, broken("IstioOperator of another version", istioOperatorYAML, "install.istio.io/v1alpha1", "install.istio.io/v1alpha2",
		"no pinned upstream defines install.istio.io/v1alpha2 IstioOperator")),
}

// unedited is a case whose object is refused as it is.
func unedited(name, yaml, want string) brokenCase {
	return brokenCase{name: name, yaml: yaml, want: want}
}

// TestLifecycleRefusesDeprecatedObjects proves the rule is not vacuous.
func TestLifecycleRefusesDeprecatedObjects(t *testing.T) {
	v := validator(t)
	for _, c := range deprecatedObjects {
		t.Run(c.name, func(t *testing.T) {
			problems, accepted := v.Lifecycle(firstDoc(t, c.name, c.yaml), c.target)
			if len(accepted) > 0 {
				t.Errorf("accepted %v", accepted)
			}
			if len(problems) == 0 {
				t.Fatalf("no problem at Kubernetes %s; want one containing %q", c.target, c.want)
			}
			if !strings.Contains(problems.ToAggregate().Error(), c.want) {
				t.Fatalf("problems %v\ndo not contain %q", problems, c.want)
			}
		})
	}
}

// TestLifecycleAcceptsCurrentObjects: the objects meshwright renders, in
// the versions it renders them, pass; the PodSecurityPolicy only below 1.25,
// and from 1.21 on only as an accepted deprecation, with its reason.
func TestLifecycleAcceptsCurrentObjects(t *testing.T) {
	v := validator(t)
	for _, c := range wellFormedObjects {
		t.Run(c.name, func(t *testing.T) {
			target, wantAccepted := k137, false
			if c.name == "PodSecurityPolicy" {
				target, wantAccepted = k124, true
			}
			problems, accepted := v.Lifecycle(firstDoc(t, c.name, c.yaml), target)
			if len(problems) > 0 {
				t.Fatalf("refused at Kubernetes %s: %v", target, problems)
			}
			if (len(accepted) > 0) != wantAccepted {
				t.Fatalf("accepted %q, want an accepted deprecation: %v", accepted, wantAccepted)
			}
		})
	}
	t.Run("PodSecurityPolicy before its deprecation", func(t *testing.T) {
		problems, accepted := v.Lifecycle(firstDoc(t, "psp", podSecurityPolicyYAML), Release{1, 20})
		if len(problems) > 0 || len(accepted) > 0 {
			t.Fatalf("problems %v, accepted %v; want neither", problems, accepted)
		}
	})
}

// TestLifecycleReadsCRDDeprecation proves the rule reads the CRD's own
// signals: the pinned Bundle CRD with its version marked deprecated (as a
// later trust-manager may ship it), with and without a deprecationWarning,
// and no longer served. The pinned CRD marks nothing deprecated today.
func TestLifecycleReadsCRDDeprecation(t *testing.T) {
	dir, err := ModuleDir(trustManagerModule)
	if err != nil {
		t.Fatal(err)
	}
	pinnedCRD := filepath.Join(dir, "deploy", "crds", "trust.cert-manager.io_bundles.yaml")
	warning := "trust.cert-manager.io/v1alpha1 Bundle is deprecated, migrate to trust-manager.io/v1alpha2 ClusterBundle"
	cases := []struct {
		name string
		edit func(v map[string]any)
		want string
	}{
		{"pinned", func(map[string]any) {}, ""},
		{"deprecated", func(v map[string]any) { v["deprecated"] = true },
			"deprecated by the pinned CRD bundles.trust.cert-manager.io (bundles.yaml); the API server warns on every apply: trust.cert-manager.io/v1alpha1 Bundle is deprecated"},
		{"deprecated with a warning", func(v map[string]any) { v["deprecated"] = true; v["deprecationWarning"] = warning },
			"the API server warns on every apply: " + warning},
		{"not served", func(v map[string]any) { v["served"] = false },
			"the pinned CRD bundles.trust.cert-manager.io (bundles.yaml) no longer serves v1alpha1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			crd := editedCRD(t, pinnedCRD, c.edit)
			v, err := NewValidator(crd)
			if err != nil {
				t.Fatal(err)
			}
			problems, _ := v.Lifecycle(firstDoc(t, "bundle", bundleYAML), k137)
			switch {
			case c.want == "" && len(problems) > 0:
				t.Fatalf("refused: %v", problems)
			case c.want != "" && !strings.Contains(problems.ToAggregate().Error(), c.want):
				t.Fatalf("problems %v\ndo not contain %q", problems, c.want)
			}
		})
	}
}

// editedCRD writes a copy of a one-version CRD file, with edit applied to
// its version, to bundles.yaml in a temporary directory.
func editedCRD(t *testing.T, file string, edit func(version map[string]any)) string {
	t.Helper()
	docs, err := ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", file, len(docs))
	}
	crd := docs[0].Object.DeepCopy()
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if len(versions) != 1 {
		t.Fatalf("%s: %d versions, want 1", file, len(versions))
	}
	edit(versions[0].(map[string]any))
	if err := unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions"); err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(crd.Object)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bundles.yaml")
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTrustManagerCRDsAreTheOnesItsChartInstalls: the trust-manager kinds
// the validator knows (upstream.go) are those the pinned trust-manager Helm
// chart installs. At v0.25.0 the chart installs Bundle only, and the
// controller reconciles Bundle only: ClusterBundle (trust-manager.io/v1alpha2)
// is defined in deploy/crds and pkg/apis, but no installed trust-manager
// would write a Secret for one. This test fails on the trust-manager bump
// whose chart stops installing Bundle: render ClusterBundle then
// (README, "Certificates and the client CA chain").
func TestTrustManagerCRDsAreTheOnesItsChartInstalls(t *testing.T) {
	dir, err := ModuleDir(trustManagerModule)
	if err != nil {
		t.Fatal(err)
	}
	templates, err := filepath.Glob(filepath.Join(dir, "deploy", "charts", "trust-manager", "templates", "crd-*.yaml"))
	if err != nil || len(templates) == 0 {
		t.Fatalf("no CRD templates in the pinned trust-manager chart (%v)", err)
	}
	name := regexp.MustCompile(`(?m)^  name: "?([a-z0-9.-]+)"?\s*$`)
	installed := map[string]bool{}
	for _, f := range templates {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllSubmatch(b, -1) {
			installed[string(m[1])] = true
		}
	}
	validated := 0
	for _, c := range upstreamCRDs {
		if c.module != trustManagerModule {
			continue
		}
		crds, err := readCRDs(filepath.Join(dir, filepath.FromSlash(c.path)))
		if err != nil {
			t.Fatal(err)
		}
		for _, crd := range crds {
			validated++
			if !installed[crd.Name] {
				t.Errorf("%s: the pinned trust-manager chart does not install CRD %s (it installs %v)", c.path, crd.Name, installed)
			}
		}
	}
	if validated == 0 {
		t.Fatal("no trust-manager CRD in upstreamCRDs")
	}
	if installed["clusterbundles.trust-manager.io"] {
		t.Errorf("the pinned trust-manager chart installs ClusterBundle: check that its controller reconciles it, then render ClusterBundle instead of Bundle")
	}
}

// TestClusterBundleIsWellFormed: the ClusterBundle refused in the broken
// tables is refused for not being installed, not for its content.
func TestClusterBundleIsWellFormed(t *testing.T) {
	v := clusterBundleValidator(t)
	if errs := v.Validate(firstDoc(t, "ClusterBundle", clusterBundleYAML)); len(errs) > 0 {
		t.Fatalf("refused by the pinned ClusterBundle CRD: %v", errs)
	}
}

func clusterBundleValidator(t *testing.T) *Validator {
	t.Helper()
	dir, err := ModuleDir(trustManagerModule)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(filepath.Join(dir, "deploy", "crds", "trust-manager.io_clusterbundles.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRenderedBundlesConvertToClusterBundles keeps the move to ClusterBundle
// a pure rename: every rendered Bundle, converted by trust-manager's own
// conversion (Bundle.ConvertTo, which its migration controller applies),
// is a ClusterBundle the pinned CRD accepts, filling the same Secret (key
// cacert, PEM) in the same namespaces from the same source. The first one
// is logged: it is the README's migration diff.
func TestRenderedBundlesConvertToClusterBundles(t *testing.T) {
	v := clusterBundleValidator(t)
	n := 0
	for _, tree := range append(trees(t), overlayOutputs(t)...) {
		docs, err := ReadTree(tree)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Object.GroupVersionKind() != trustv1alpha1.SchemeGroupVersion.WithKind("Bundle") {
				continue
			}
			n++
			cb := clusterBundleOf(t, d)
			cd, err := DocOf(d.String()+" as ClusterBundle", cb)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range v.Validate(cd) {
				t.Errorf("%s: %v", cd, e)
			}
			b := &trustv1alpha1.Bundle{}
			if err := json.Unmarshal(d.JSON, b); err != nil {
				t.Fatal(err)
			}
			src := b.Spec.Sources[0].Secret
			wantSources := []trustv1alpha2.BundleSourceRef{{SourceReference: trustv1alpha2.SourceReference{Kind: trustv1alpha2.SecretKind, Name: src.Name}, Key: src.Key}}
			wantTarget := trustv1alpha2.BundleTarget{
				Secret:            &trustv1alpha2.KeyValueTarget{Data: []trustv1alpha2.TargetKeyValue{{Key: b.Spec.Target.Secret.Key}}},
				NamespaceSelector: b.Spec.Target.NamespaceSelector,
			}
			if !reflect.DeepEqual(cb.Spec.SourceRefs, wantSources) || !reflect.DeepEqual(cb.Spec.Target, wantTarget) {
				t.Errorf("%s: converted to %+v, want sources %+v and target %+v", d, cb.Spec, wantSources, wantTarget)
			}
			if n == 1 {
				out, _ := yaml.Marshal(cd.Object.Object)
				t.Logf("%s, as the ClusterBundle trust-manager converts it to:\n%s", d, out)
			}
		}
	}
	if n == 0 {
		t.Fatal("no Bundle in any rendered tree")
	}
}

// clusterBundleOf is what trust-manager's migration controller applies for
// a Bundle (pkg/bundle/controller, convertBundleToClusterBundle): the name
// and the converted spec.
func clusterBundleOf(t *testing.T, d Doc) *trustv1alpha2.ClusterBundle {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(d.JSON))
	dec.DisallowUnknownFields()
	b := &trustv1alpha1.Bundle{}
	if err := dec.Decode(b); err != nil {
		t.Fatalf("%s: strict decoding into Bundle: %v", d, err)
	}
	converted := &trustv1alpha2.ClusterBundle{}
	if err := b.ConvertTo(converted); err != nil {
		t.Fatalf("%s: %v", d, err)
	}
	return &trustv1alpha2.ClusterBundle{
		TypeMeta:   metav1.TypeMeta{APIVersion: trustv1alpha2.SchemeGroupVersion.String(), Kind: trustv1alpha2.ClusterBundleKind},
		ObjectMeta: metav1.ObjectMeta{Name: b.Name},
		Spec:       converted.Spec,
	}
}

// TestIstioctlAnalyzeReportsDeprecation proves the istioctl side of the
// rule sees what istioctl reports: a VirtualService using a deprecated field
// (IST0002, a Warning) is a deprecation; so is the DeprecatedAnnotation
// Info, which judge would otherwise only log.
func TestIstioctlAnalyzeReportsDeprecation(t *testing.T) {
	bin := istioctl(t)
	findings := istioctlAnalyze(t, bin, "istio-system", filepath.Join("testdata", "analyze-deprecated"))
	found := false
	for _, f := range findings {
		if f.code == "IST0002" && f.origin == "VirtualService bookinfo/ratings" && isDeprecation(f) {
			found = true
		}
	}
	if !found {
		t.Fatalf("findings %v hold no IST0002 deprecation for VirtualService bookinfo/ratings", findings)
	}
}

func TestIsDeprecation(t *testing.T) {
	cases := map[finding]bool{
		{code: "IST0002", level: "Warning", message: "Deprecated: HTTPRoute.fault.delay.percent is deprecated"}: true,
		{code: "IST0135", level: "Info", message: `Annotation "x" has been deprecated and may not work`}:        true,
		{code: validateCode, level: "Warning", message: "field foo is deprecated"}:                              true,
		{code: "IST0101", level: "Error", message: `Referenced gateway not found: "g"`}:                         false,
	}
	for f, want := range cases {
		if got := isDeprecation(f); got != want {
			t.Errorf("isDeprecation(%v) = %v, want %v", f, got, want)
		}
	}
}
