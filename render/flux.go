package render

import (
	"strings"
	"time"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// fluxRepository is the HelmRepository every release's chart comes from
// when the charts are served by a Helm repository.
const fluxRepository = "istio"

// Reconcile intervals: the releases' own drift from what Git says, and how
// often a chart source is looked at (versions are pinned, so rarely).
var (
	fluxReleaseInterval = metav1.Duration{Duration: 10 * time.Minute}
	fluxSourceInterval  = metav1.Duration{Duration: time.Hour}
)

// ociHelmChartLayer is the media type of a Helm chart in an OCI artifact.
const ociHelmChartLayer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

// fluxInstall renders the control plane as Flux objects in the control-plane
// namespace: a HelmRelease per release, ordered with dependsOn, and the
// chart sources. Charts in an OCI registry come from an OCIRepository per
// release (Flux's recommended source for OCI charts, pinned to the chart
// version); charts in a Helm repository from one HelmRepository.
func fluxInstall(m *spec.MeshSpec, rels []chartRelease) []Object {
	cp := m.ControlPlane
	oci := isOCI(cp.ChartRepository)
	var objs []Object
	if !oci {
		objs = append(objs, fluxHelmRepository(cp))
	}
	for _, r := range rels {
		if oci {
			objs = append(objs, fluxOCIRepository(cp, r))
		}
		objs = append(objs, fluxHelmRelease(cp, r, oci))
	}
	return objs
}

func isOCI(repository string) bool { return strings.HasPrefix(repository, "oci://") }

func fluxHelmRepository(cp spec.ControlPlane) Object {
	return &sourcev1.HelmRepository{
		TypeMeta:   typeHelmRepository,
		ObjectMeta: objectMeta(cp.Namespace, fluxRepository),
		Spec:       sourcev1.HelmRepositorySpec{URL: cp.ChartRepository, Interval: fluxSourceInterval},
	}
}

func fluxOCIRepository(cp spec.ControlPlane, r chartRelease) Object {
	return &sourcev1.OCIRepository{
		TypeMeta:   typeOCIRepository,
		ObjectMeta: objectMeta(cp.Namespace, r.name),
		Spec: sourcev1.OCIRepositorySpec{
			URL:           chartURL(cp.ChartRepository, r.chart),
			Reference:     &sourcev1.OCIRepositoryRef{Tag: r.version},
			LayerSelector: &sourcev1.OCILayerSelector{MediaType: ociHelmChartLayer, Operation: sourcev1.OCILayerCopy},
			Interval:      fluxSourceInterval,
		},
	}
}

// chartURL is where one chart lives in an OCI registry: a repository per
// chart below the registry path.
func chartURL(repository, chart string) string {
	return strings.TrimSuffix(repository, "/") + "/" + chart
}

func fluxHelmRelease(cp spec.ControlPlane, r chartRelease, oci bool) Object {
	s := helmv2.HelmReleaseSpec{
		ReleaseName: r.name,
		Interval:    fluxReleaseInterval,
		Values:      &apiextensionsv1.JSON{Raw: r.values},
	}
	if r.namespace != cp.Namespace {
		s.TargetNamespace = r.namespace
	}
	if oci {
		s.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: r.name}
	} else {
		s.Chart = &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
			Chart:     r.chart,
			Version:   r.version,
			SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: fluxRepository},
		}}
	}
	for _, dep := range r.after {
		s.DependsOn = append(s.DependsOn, helmv2.DependencyReference{Name: dep})
	}
	return &helmv2.HelmRelease{
		TypeMeta:   typeHelmRelease,
		ObjectMeta: objectMeta(cp.Namespace, r.name),
		Spec:       s,
	}
}
