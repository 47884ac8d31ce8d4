package apiserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshwright/meshwright/internal/conformance"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

// The tests share one server: starting one and installing the CRDs takes
// seconds, and Check leaves the server as it found it (so the trees are
// isolated from each other without a server each).
var shared struct {
	once    sync.Once
	dir     string
	server  *Server
	client  *Client
	crds    int
	version string
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.server != nil {
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// client returns a client of the shared server, started on first use with
// every upstream CRD installed.
func client(t *testing.T) *Client {
	t.Helper()
	apiserverBin, etcdBin := binaries(t)
	shared.once.Do(func() {
		shared.err = startShared(apiserverBin, etcdBin)
		if shared.err == nil {
			t.Logf("etcd and kube-apiserver %s ready in %s; %d upstream CRDs established",
				shared.version, shared.server.StartTime.Round(time.Millisecond), shared.crds)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.client
}

func startShared(apiserverBin, etcdBin string) error {
	dir, err := os.MkdirTemp("", "meshwright-apiserver-")
	if err != nil {
		return err
	}
	shared.dir = dir
	ctx := context.Background()
	shared.server, err = Start(ctx, Options{APIServer: apiserverBin, Etcd: etcdBin, Dir: dir})
	if err != nil {
		return err
	}
	if shared.client, err = NewClient(shared.server.Config); err != nil {
		return err
	}
	if shared.version, err = shared.client.ServerVersion(); err != nil {
		return err
	}
	crds, err := upstreamCRDs()
	if err != nil {
		return err
	}
	shared.crds = len(crds)
	return shared.client.InstallCRDs(ctx, crds, time.Minute)
}

// upstreamCRDs are the CRDs of the pinned modules the conformance checks
// validate against (conformance.UpstreamCRDFiles): the same schemas, now
// served by a real API server.
func upstreamCRDs() ([]*unstructured.Unstructured, error) {
	files, err := conformance.UpstreamCRDFiles()
	if err != nil {
		return nil, err
	}
	var crds []*unstructured.Unstructured
	for _, f := range files {
		docs, err := conformance.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if d.Object.GetKind() == "CustomResourceDefinition" {
				crds = append(crds, d.Object)
			}
		}
	}
	return crds, nil
}

// binaries returns the kube-apiserver and etcd the Makefile builds (`make
// tools`): $KUBE_APISERVER and $ETCD, else .cache/bin's. Without them the
// tests fail in CI (CI=true) and are skipped, saying how to run them, on a
// developer's machine.
func binaries(t *testing.T) (apiserverBin, etcdBin string) {
	t.Helper()
	return binary(t, "KUBE_APISERVER", "kube-apiserver"), binary(t, "ETCD", "etcd")
}

func binary(t *testing.T, env, name string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p = filepath.Join(repoRoot, ".cache", "bin", name)
	}
	abs, err := filepath.Abs(p)
	if err == nil {
		if _, err = os.Stat(abs); err == nil {
			return abs
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found at %s (%v): `make apiserver` builds it", name, p, err)
	}
	t.Skipf("%s not found at %s: run `make apiserver`, which builds it first", name, p)
	return ""
}

// pspGVK is PodSecurityPolicy, which meshwright renders for Kubernetes
// before 1.25 and no current server serves (policy/v1beta1 is gone).
var pspGVK = schema.GroupVersionKind{Group: "policy", Version: "v1beta1", Kind: "PodSecurityPolicy"}

// helmReleaseGVK is Flux's HelmRelease. Its CRD lives in helm-controller's
// main module, which the Go module proxy refuses (403) at every version,
// so the server cannot serve it; conformance validates HelmReleases by
// strict decoding into the Flux Go types of the pinned /api module.
var helmReleaseGVK = schema.GroupVersionKind{Group: "helm.toolkit.fluxcd.io", Version: "v2", Kind: "HelmRelease"}

// TestRenderedTreesApplyToAPIServer applies every rendered tree and overlay
// output to a real kube-apiserver (Check: strict server-side dry run,
// server-side apply, a re-apply that changes nothing), one tree at a time.
func TestRenderedTreesApplyToAPIServer(t *testing.T) {
	c := client(t)
	trees, err := conformance.RenderedTrees(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	outputs, err := conformance.OverlayOutputs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	total := newSummary()
	begin := time.Now()
	for _, tree := range append(trees, outputs...) {
		name := conformance.TreeName(repoRoot, tree)
		t.Run(name, func(t *testing.T) {
			s := checkTree(t, c, tree)
			total.add(s)
		})
	}
	t.Logf("%d trees and overlay outputs in %s:\n%s", len(trees)+len(outputs), time.Since(begin).Round(time.Millisecond), total)
}

// summary counts what the check did with the objects of trees.
type summary struct {
	applied     int
	localConfig map[string]int // by kind
	existing    map[string]int // the server's own objects applied over, by kind and name
	rewritten   map[string]int // stored again once with nothing changed, by kind
	pspTrees    []string       // trees whose PodSecurityPolicies were refused
	noCRD       int            // HelmReleases, whose CRD cannot be downloaded
	provided    map[string]int // namespaces a tree uses but the cluster provides, created for the check
	warnings    int
}

func newSummary() summary {
	return summary{localConfig: map[string]int{}, existing: map[string]int{}, rewritten: map[string]int{}, provided: map[string]int{}}
}

func (s *summary) add(t summary) {
	s.applied += t.applied
	s.noCRD += t.noCRD
	s.warnings += t.warnings
	s.pspTrees = append(s.pspTrees, t.pspTrees...)
	for _, m := range []struct{ to, from map[string]int }{
		{s.localConfig, t.localConfig}, {s.existing, t.existing}, {s.rewritten, t.rewritten}, {s.provided, t.provided},
	} {
		for k, n := range m.from {
			m.to[k] += n
		}
	}
}

func (s summary) String() string {
	return fmt.Sprintf("  applied, then re-applied unchanged: %d objects\n"+
		"    of which the server's own, applied over: %s\n"+
		"    of which stored again once by the re-apply with nothing changed (CRD status defaults persisted): %s\n"+
		"  not applied, local-config: %s\n"+
		"  namespaces the trees use but the cluster provides (Argo CD's), created for the check: %s\n"+
		"  PodSecurityPolicies refused as not served (Kubernetes < 1.25 trees): %s\n"+
		"  HelmReleases not served (no downloadable CRD; strictly decoded into Flux's types instead): %d\n"+
		"  server warnings: %d",
		s.applied, counts(s.existing), counts(s.rewritten), counts(s.localConfig), counts(s.provided), strings.Join(s.pspTrees, ", "), s.noCRD, s.warnings)
}

// counts is "n (n1 a, n2 b)" of a count per key.
func counts(m map[string]int) string {
	var parts []string
	total := 0
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
		total += n
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// checkTree runs Check over one tree and fails on every problem. A
// PodSecurityPolicy must be refused as not served; any other kind the
// server does not serve is a missing CRD.
func checkTree(t *testing.T, c *Client, tree string) summary {
	t.Helper()
	docs, err := conformance.ReadTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no objects", tree)
	}
	objs := objects(docs)
	provided := providedNamespaces(objs)
	res, err := c.Check(context.Background(), append(provided, objs...))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("%s", p)
	}
	s := newSummary()
	s.applied, s.warnings = len(res.Applied)-len(provided), len(res.Warnings)
	for _, ns := range provided {
		s.provided[ns.GetName()]++
	}
	for _, w := range res.Warnings {
		t.Logf("warning: %s", w)
	}
	for _, o := range res.LocalConfig {
		s.localConfig[o.GetKind()]++
	}
	for _, o := range res.Existing {
		s.existing[o.GetKind()+" "+o.GetName()]++
	}
	for _, o := range res.Rewritten {
		s.rewritten[o.GroupVersionKind().GroupKind().String()]++
	}
	psp := 0
	for _, p := range res.NotServed {
		if p.Object.GroupVersionKind() == helmReleaseGVK {
			s.noCRD++
			continue
		}
		if p.Object.GroupVersionKind() != pspGVK {
			t.Errorf("%s: not served (is its CRD missing from conformance.UpstreamCRDFiles?): %v", p.Object.Name, p.Err)
			continue
		}
		psp++
		t.Logf("refused as expected: %s", p)
	}
	if psp > 0 {
		s.pspTrees = append(s.pspTrees, fmt.Sprintf("%s (%d)", conformance.TreeName(repoRoot, tree), psp))
	}
	for _, o := range res.Applied {
		if o.GroupVersionKind() == pspGVK {
			t.Errorf("%s: the server took a PodSecurityPolicy: the Kubernetes < 1.25 trees can be checked for real now", o.Name)
		}
	}
	t.Logf("%d applied and re-applied unchanged, %d local-config, %d not served", len(res.Applied), len(res.LocalConfig), len(res.NotServed))
	return s
}

func objects(docs []conformance.Doc) []Object {
	objs := make([]Object, len(docs))
	for i, d := range docs {
		objs[i] = Object{Name: d.String(), Unstructured: d.Object}
	}
	return objs
}

// TestBrokenObjectsRefused proves the check can fail: each case is a
// namespace and one object the server must refuse, with its message.
func TestBrokenObjectsRefused(t *testing.T) {
	c := client(t)
	cases := []struct {
		name   string
		object string
		want   string // in the server's refusal
	}{{
		name: "unknown field in a Gateway API Gateway's spec",
		object: `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ingress, namespace: broken}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
  listenerz: []
`,
		want: `.spec.listenerz: field not declared in schema`,
	}, {
		name: "unknown field in an Istio Gateway's spec",
		object: `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: broken}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
  tls: {}
`,
		want: `.spec.tls: field not declared in schema`,
	}, {
		name: "PeerAuthentication mTLS mode outside its enum",
		object: `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: broken}
spec:
  mtls: {mode: STRICTEST}
`,
		want: `Unsupported value: "STRICTEST"`,
	}, {
		name: "AuthorizationPolicy action outside its enum",
		object: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: broken}
spec:
  action: PERMIT
  rules: [{}]
`,
		want: `Unsupported value: "PERMIT"`,
	}, {
		name: "unknown field in a built-in NetworkPolicy",
		object: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: broken}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingres: []
`,
		want: `.spec.ingres: field not declared in schema`,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := objects(parse(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: broken, labels: {purpose: broken-object-check}}\n---\n"+tc.object))
			res, err := c.Check(context.Background(), objs)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Problems) != 1 {
				t.Fatalf("want the server to refuse the %s alone, got %d problems: %v", objs[1].GetKind(), len(res.Problems), res.Problems)
			}
			p := res.Problems[0]
			if p.Object.Name != objs[1].Name || p.Step != StepDryRun || !strings.Contains(p.Err.Error(), tc.want) {
				t.Fatalf("want the dry run of %s refused with %q, got %s", objs[1].Name, tc.want, p)
			}
			if len(res.Applied) != 1 {
				t.Errorf("want the namespace applied, got %d objects applied", len(res.Applied))
			}
			t.Logf("refused: %v", p.Err)
		})
	}
}

func parse(t *testing.T, yaml string) []conformance.Doc {
	t.Helper()
	docs, err := conformance.ParseDocs("broken.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// argoCDKind is the one kind whose namespace a tree uses without rendering
// it: Applications live in Argo CD's own namespace, which Argo CD's
// installation creates.
var argoCDKind = schema.GroupKind{Group: "argoproj.io", Kind: "Application"}

// providedNamespaces are Namespaces for the Argo CD namespaces the objects
// use and do not render, as the cluster they are meant for has them. Any
// other namespace missing from a tree stays a failure.
func providedNamespaces(objs []Object) []Object {
	rendered := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			rendered[o.GetName()] = true
		}
	}
	var out []Object
	for _, o := range objs {
		ns := o.GetNamespace()
		if o.GroupVersionKind().GroupKind() != argoCDKind || rendered[ns] {
			continue
		}
		rendered[ns] = true
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("Namespace")
		u.SetName(ns)
		// labelled as Argo CD's installation labels it; an object without
		// labels gets a before-first-apply managed-fields entry on its
		// re-apply, which is the check's doing, not the tree's
		u.SetLabels(map[string]string{"app.kubernetes.io/part-of": "argocd"})
		out = append(out, Object{Name: "Argo CD's namespace " + ns + " (the cluster's)", Unstructured: u})
	}
	return out
}
