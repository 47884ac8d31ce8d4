package render

import (
	"encoding/json"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// Argo CD's Application, the fields meshwright sets. Argo CD's Go module
// does not build beside this one's dependencies, so the type is written
// here; the conformance tests check every rendered Application against the
// Application CRD of the Argo CD release, and a real API server accepts it.
type application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              applicationSpec `json:"spec"`
}

type applicationSpec struct {
	Project           string                 `json:"project"`
	Source            applicationSource      `json:"source"`
	Destination       applicationDestination `json:"destination"`
	SyncPolicy        applicationSyncPolicy  `json:"syncPolicy"`
	IgnoreDifferences []ignoreDifference     `json:"ignoreDifferences,omitempty"`
}

type applicationSource struct {
	RepoURL        string          `json:"repoURL"`
	Chart          string          `json:"chart,omitempty"`
	Path           string          `json:"path,omitempty"`
	TargetRevision string          `json:"targetRevision"`
	Helm           applicationHelm `json:"helm"`
}

type applicationHelm struct {
	ReleaseName  string          `json:"releaseName"`
	ValuesObject json.RawMessage `json:"valuesObject"`
}

type applicationDestination struct {
	Server    string `json:"server"`
	Namespace string `json:"namespace"`
}

type applicationSyncPolicy struct {
	Automated   automatedSync `json:"automated"`
	SyncOptions []string      `json:"syncOptions"`
}

type automatedSync struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

type ignoreDifference struct {
	Group             string   `json:"group"`
	Kind              string   `json:"kind"`
	JQPathExpressions []string `json:"jqPathExpressions"`
}

// inCluster is Argo CD's name for the cluster it runs in.
const inCluster = "https://kubernetes.default.svc"

// annotationSyncWave orders Applications synced by one parent Application.
const annotationSyncWave = "argocd.argoproj.io/sync-wave"

// webhookDrift is what istiod writes into its webhook configurations at run
// time: the CA bundle, and the validation webhook's failurePolicy once it
// is ready. Argo CD would otherwise undo it on every sync (Istio's Argo CD
// guidance).
var webhookDrift = []ignoreDifference{
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration", JQPathExpressions: []string{".webhooks[]?.clientConfig.caBundle"}},
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration", JQPathExpressions: []string{".webhooks[]?.clientConfig.caBundle", ".webhooks[]?.failurePolicy"}},
}

// argoCDInstall renders the control plane as Argo CD Applications, one per
// release, in Argo CD's namespace. Sync waves order them (base, then istiod
// and the CNI, then ztunnel and the gateways) when a parent Application
// syncs them.
func argoCDInstall(m *spec.MeshSpec, rels []chartRelease) []Object {
	cp := m.ControlPlane
	objs := make([]Object, 0, len(rels))
	for _, r := range rels {
		meta := objectMeta(cp.ArgoCD.Namespace, r.name)
		meta.Annotations = map[string]string{annotationSyncWave: strconv.Itoa(wave(rels, r))}
		app := &application{
			TypeMeta:   typeApplication,
			ObjectMeta: meta,
			Spec: applicationSpec{
				Project:     cp.ArgoCD.Project,
				Source:      applicationSourceOf(cp.ChartRepository, r),
				Destination: applicationDestination{Server: inCluster, Namespace: r.namespace},
				SyncPolicy: applicationSyncPolicy{
					Automated: automatedSync{Prune: true, SelfHeal: true},
					// server-side apply: the base chart's CRDs are too large
					// for the last-applied annotation of a client-side apply
					SyncOptions: []string{"ServerSideApply=true", "RespectIgnoreDifferences=true"},
				},
			},
		}
		if r.chart == "base" || r.chart == "istiod" {
			app.Spec.IgnoreDifferences = webhookDrift
		}
		objs = append(objs, app)
	}
	return objs
}

// applicationSourceOf is where Argo CD fetches a release's chart: an OCI
// chart as a native OCI source (the chart is the artifact's root), a Helm
// repository's chart by name.
func applicationSourceOf(repository string, r chartRelease) applicationSource {
	s := applicationSource{
		RepoURL:        repository,
		TargetRevision: r.version,
		Helm:           applicationHelm{ReleaseName: r.name, ValuesObject: r.values},
	}
	if isOCI(repository) {
		s.RepoURL, s.Path = chartURL(repository, r.chart), "."
	} else {
		s.Chart = r.chart
	}
	return s
}
