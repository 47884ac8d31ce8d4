package conformance

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	loaderv2 "helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"istio.io/istio/manifests"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8sversion "k8s.io/apimachinery/pkg/util/version"
)

// Istio's own Helm charts, as Flux HelmReleases and Argo CD Applications
// install them, rendered in-process with the Helm SDK from the charts the
// pinned istio.io/istio module embeds: the values meshwright writes into a
// release are proven by what the real chart makes of them.

// ChartRelease is one Helm release to install: what a Flux HelmRelease or an
// Argo CD Application asks Helm for. (Release is a Kubernetes minor release,
// lifecycle.go.)
type ChartRelease struct {
	Chart     string // the published chart name: base, istiod, cni, ztunnel, gateway
	Name      string // the Helm release name
	Namespace string // the namespace Helm installs into (.Release.Namespace)
	Values    map[string]any
	Source    Doc // the HelmRelease or Application it was read from
}

var (
	fluxHelmReleaseGK   = schema.GroupKind{Group: "helm.toolkit.fluxcd.io", Kind: "HelmRelease"}
	fluxOCIRepositoryGK = schema.GroupKind{Group: "source.toolkit.fluxcd.io", Kind: "OCIRepository"}
	argoApplicationGK   = schema.GroupKind{Group: "argoproj.io", Kind: "Application"}
)

// Releases returns the Helm releases that the Flux HelmReleases and Argo CD
// Applications among docs install, in document order. Other documents are
// not releases and are skipped. A release using a way of passing values or
// choosing a chart that these checks cannot see (values from ConfigMaps or
// Git files, Helm parameters, several sources) is an error, not a release
// rendered with part of its values.
func Releases(docs []Doc) ([]ChartRelease, error) {
	ociRepos := ociRepositories(docs)
	var releases []ChartRelease
	for _, d := range docs {
		r, ok, err := releaseOf(d, ociRepos)
		if err != nil {
			return nil, err
		}
		if ok {
			releases = append(releases, r)
		}
	}
	return releases, nil
}

// releaseOf returns the release a document installs; ok is false for a
// document that installs none.
func releaseOf(d Doc, ociRepos map[string]*unstructured.Unstructured) (r ChartRelease, ok bool, err error) {
	switch d.Object.GroupVersionKind().GroupKind() {
	case fluxHelmReleaseGK:
		r, err = fluxRelease(d, ociRepos)
		return r, err == nil, err
	case argoApplicationGK:
		return argoRelease(d)
	}
	return ChartRelease{}, false, nil
}

// ociRepositories are the Flux OCIRepositories among docs by
// namespace/name, for HelmReleases whose chartRef names one.
func ociRepositories(docs []Doc) map[string]*unstructured.Unstructured {
	repos := map[string]*unstructured.Unstructured{}
	for _, d := range docs {
		if d.Object.GroupVersionKind().GroupKind() == fluxOCIRepositoryGK {
			repos[d.Object.GetNamespace()+"/"+d.Object.GetName()] = d.Object
		}
	}
	return repos
}

// fluxRelease reads a helm.toolkit.fluxcd.io/v2 HelmRelease the way
// helm-controller does (api/v2 GetReleaseName, GetReleaseNamespace and
// internal/release.ShortenName).
func fluxRelease(d Doc, ociRepos map[string]*unstructured.Unstructured) (ChartRelease, error) {
	u := d.Object
	if v := u.GroupVersionKind().Version; v != "v2" {
		return ChartRelease{}, fmt.Errorf("%s: HelmRelease %s: only helm.toolkit.fluxcd.io/v2 is read", d, v)
	}
	for _, field := range [][]string{
		{"spec", "valuesFrom"},                   // values from ConfigMaps and Secrets in the cluster
		{"spec", "chart", "spec", "valuesFiles"}, // values files inside the chart source
		{"spec", "chart", "spec", "valuesFile"},
		{"spec", "postRenderers"}, // changes the rendered objects after Helm
	} {
		if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, field...); found {
			return ChartRelease{}, fmt.Errorf("%s: %s is not supported: the checks render a chart with spec.values alone", d, strings.Join(field, "."))
		}
	}
	chart, err := fluxChart(d, ociRepos)
	if err != nil {
		return ChartRelease{}, err
	}
	values, err := optionalMap(d, "spec", "values")
	if err != nil {
		return ChartRelease{}, err
	}
	releaseName, err := optionalString(d, "spec", "releaseName")
	if err != nil {
		return ChartRelease{}, err
	}
	targetNamespace, err := optionalString(d, "spec", "targetNamespace")
	if err != nil {
		return ChartRelease{}, err
	}
	name := releaseName
	if name == "" {
		name = u.GetName()
		if targetNamespace != "" {
			name = targetNamespace + "-" + name
		}
	}
	namespace := targetNamespace
	if namespace == "" {
		namespace = u.GetNamespace()
	}
	return ChartRelease{Chart: chart, Name: shortenFluxReleaseName(name), Namespace: namespace, Values: values, Source: d}, nil
}

// fluxChart returns the name of the chart a HelmRelease installs: its
// spec.chart.spec.chart, or the last element of the URL of the OCIRepository
// its spec.chartRef names (Helm pushes a chart to the repository of its name:
// oci://registry/istio-charts/istiod holds istiod).
func fluxChart(d Doc, ociRepos map[string]*unstructured.Unstructured) (string, error) {
	ref, found, err := unstructured.NestedStringMap(d.Object.Object, "spec", "chartRef")
	if err != nil {
		return "", fmt.Errorf("%s: %w", d, err)
	}
	if !found {
		return requiredString(d, "spec", "chart", "spec", "chart")
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(d.Object.Object, "spec", "chart"); found {
		return "", fmt.Errorf("%s: spec.chart and spec.chartRef are both set", d)
	}
	if ref["kind"] != "OCIRepository" {
		return "", fmt.Errorf("%s: spec.chartRef kind %q is not supported: the checks read charts of OCIRepositories", d, ref["kind"])
	}
	ns := ref["namespace"]
	if ns == "" {
		ns = d.Object.GetNamespace()
	}
	repo, ok := ociRepos[ns+"/"+ref["name"]]
	if !ok {
		return "", fmt.Errorf("%s: spec.chartRef names OCIRepository %s/%s, which is not among the documents", d, ns, ref["name"])
	}
	url, _, _ := unstructured.NestedString(repo.Object, "spec", "url")
	chart := path.Base(strings.TrimRight(url, "/"))
	if !strings.HasPrefix(url, "oci://") || chart == "" || chart == "." {
		return "", fmt.Errorf("%s: OCIRepository %s/%s: spec.url %q is not an oci:// chart repository", d, ns, ref["name"], url)
	}
	return chart, nil
}

// shortenFluxReleaseName is helm-controller's ShortenName: a name over Helm's
// 53-character limit (a long targetNamespace-name default) becomes its first
// 40 characters, a dash and the first 12 hex digits of its SHA-256.
func shortenFluxReleaseName(name string) string {
	const maxLength, hashLength = 53, 12
	if len(name) <= maxLength {
		return name
	}
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(name)))
	return name[:maxLength-hashLength-1] + "-" + sum[:hashLength]
}

// argoRelease reads an argoproj.io/v1alpha1 Application with a Helm chart
// source the way Argo CD's repo server templates it: release name
// spec.source.helm.releaseName, else the Application's name; namespace
// spec.source.helm.namespace, else spec.destination.namespace. An
// Application of a Git directory (spec.source.path, no chart), such as an
// app of apps, installs no chart and is not a release (ok false).
func argoRelease(d Doc) (r ChartRelease, ok bool, err error) {
	u := d.Object
	if v := u.GroupVersionKind().Version; v != "v1alpha1" {
		return ChartRelease{}, false, fmt.Errorf("%s: Application %s: only argoproj.io/v1alpha1 is read", d, v)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "sources"); found {
		return ChartRelease{}, false, fmt.Errorf("%s: spec.sources is not supported: the checks render a single spec.source chart", d)
	}
	chart, err := optionalString(d, "spec", "source", "chart")
	if err != nil {
		return ChartRelease{}, false, err
	}
	if chart == "" {
		if p, _ := optionalString(d, "spec", "source", "path"); p != "" {
			return ChartRelease{}, false, nil
		}
		return ChartRelease{}, false, fmt.Errorf("%s: spec.source has neither a chart nor a path", d)
	}
	for _, field := range []string{
		"values",         // a YAML string: meshwright writes valuesObject
		"parameters",     // --set overrides
		"fileParameters", // --set-file overrides
		"valueFiles",     // values files inside the chart source
	} {
		if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "source", "helm", field); found {
			return ChartRelease{}, false, fmt.Errorf("%s: spec.source.helm.%s is not supported: the checks render only spec.source.helm.valuesObject", d, field)
		}
	}
	values, err := optionalMap(d, "spec", "source", "helm", "valuesObject")
	if err != nil {
		return ChartRelease{}, false, err
	}
	name, err := optionalString(d, "spec", "source", "helm", "releaseName")
	if err != nil {
		return ChartRelease{}, false, err
	}
	if name == "" {
		name = u.GetName()
	}
	namespace, err := optionalString(d, "spec", "source", "helm", "namespace")
	if err != nil {
		return ChartRelease{}, false, err
	}
	if namespace == "" {
		if namespace, err = optionalString(d, "spec", "destination", "namespace"); err != nil {
			return ChartRelease{}, false, err
		}
	}
	return ChartRelease{Chart: chart, Name: name, Namespace: namespace, Values: values, Source: d}, true, nil
}

func requiredString(d Doc, field ...string) (string, error) {
	s, err := optionalString(d, field...)
	if err == nil && s == "" {
		err = fmt.Errorf("%s: %s is required", d, strings.Join(field, "."))
	}
	return s, err
}

func optionalString(d Doc, field ...string) (string, error) {
	s, _, err := unstructured.NestedString(d.Object.Object, field...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", d, err)
	}
	return s, nil
}

func optionalMap(d Doc, field ...string) (map[string]any, error) {
	m, _, err := unstructured.NestedMap(d.Object.Object, field...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	return m, nil
}

// istioChartDirs maps Istio's published chart names to their directories in
// the pinned module's embedded manifests.
var istioChartDirs = map[string]string{
	"base":    "charts/base",
	"istiod":  "charts/istio-control/istio-discovery",
	"cni":     "charts/istio-cni",
	"ztunnel": "charts/ztunnel",
	"gateway": "charts/gateway",
}

// istioChartNames returns the published names of the charts RenderRelease
// knows, sorted.
func istioChartNames() []string {
	names := make([]string, 0, len(istioChartDirs))
	for name := range istioChartDirs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// RenderRelease renders a release's chart from the pinned istio.io/istio
// module as `helm install` would for a cluster of kubeVersion ("1.30"): the
// chart's default values under the release's values, validated against the
// chart's values.schema.json. It returns every object of every template, and
// of the chart's crds/ directory, as Docs named by their template path
// ("istiod/templates/deployment.yaml"), sorted by file then position.
func RenderRelease(r ChartRelease, kubeVersion string) ([]Doc, error) {
	dir, ok := istioChartDirs[r.Chart]
	if !ok {
		return nil, fmt.Errorf("release %s/%s: unknown chart %q (known: %s)", r.Namespace, r.Name, r.Chart, strings.Join(istioChartNames(), ", "))
	}
	chrt, err := loadChart(manifests.FS, dir)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", r.Chart, err)
	}
	caps, err := capabilities(kubeVersion)
	if err != nil {
		return nil, err
	}
	values, err := helmValues(r.Values)
	if err != nil {
		return nil, fmt.Errorf("release %s/%s: %w", r.Namespace, r.Name, err)
	}
	opts := common.ReleaseOptions{Name: r.Name, Namespace: r.Namespace, IsInstall: true}
	renderValues, err := commonutil.ToRenderValues(chrt, values, opts, caps)
	if err != nil {
		return nil, fmt.Errorf("release %s/%s of chart %s: %w", r.Namespace, r.Name, r.Chart, err)
	}
	files, err := engine.Render(chrt, renderValues)
	if err != nil {
		return nil, fmt.Errorf("release %s/%s of chart %s: %w", r.Namespace, r.Name, r.Chart, err)
	}
	for _, crd := range chrt.CRDObjects() {
		files[path.Join(chrt.Name(), crd.Name)] = string(crd.File.Data)
	}
	return renderedDocs(files)
}

// loadChart reads a chart out of a file system (the module's embed.FS) with
// Helm's loader, as loader.LoadDir would from a directory.
func loadChart(fsys fs.FS, dir string) (*chartv2.Chart, error) {
	var files []*archive.BufferedFile
	err := fs.WalkDir(fsys, dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files = append(files, &archive.BufferedFile{Name: strings.TrimPrefix(name, dir+"/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return loaderv2.LoadFiles(files)
}

// capabilities are Helm's client-only defaults (every API version the
// Kubernetes client knows, as `helm template` assumes) at kubeVersion: a
// minor release ("1.30", read as v1.30.0) or what a cluster reports
// ("v1.30.2-gke.1000", kept whole: the cni chart looks for "-gke" in it).
func capabilities(kubeVersion string) (*common.Capabilities, error) {
	v, err := k8sversion.ParseGeneric(kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("kubernetes version %q: %w", kubeVersion, err)
	}
	if len(v.Components()) < 3 {
		kubeVersion = fmt.Sprintf("v%d.%d.0", v.Major(), v.Minor())
	}
	kv, err := common.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("kubernetes version %q: %w", kubeVersion, err)
	}
	caps := common.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	return caps, nil
}

// helmValues passes a release's values through JSON and Helm's values reader,
// as Flux (spec.values) and Argo CD (valuesObject, written to a values file)
// do: numbers reach the templates as float64, never as the int64 a decoded
// Kubernetes object holds, so templates format them as they would in a
// cluster.
func helmValues(values map[string]any) (map[string]any, error) {
	if values == nil {
		return map[string]any{}, nil
	}
	j, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("encoding values: %w", err)
	}
	v, err := common.ReadValues(j)
	if err != nil {
		return nil, fmt.Errorf("reading values: %w", err)
	}
	return v, nil
}

// renderedDocs splits every rendered file into its objects, in file order.
// NOTES.txt is Helm's message to the installer, not an object.
func renderedDocs(files map[string]string) ([]Doc, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		if !strings.HasSuffix(name, "NOTES.txt") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var docs []Doc
	for _, name := range names {
		fileDocs, err := ParseDocs(name, []byte(files[name]))
		if err != nil {
			return nil, fmt.Errorf("rendered %w", err)
		}
		docs = append(docs, fileDocs...)
	}
	return docs, nil
}
