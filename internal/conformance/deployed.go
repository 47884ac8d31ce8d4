package conformance

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"istio.io/api/label"
	"istio.io/istio/pilot/pkg/config/kube/gatewaycommon"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/config/schema/gvr"
	"istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/kube/kclient/clienttest"
	"istio.io/istio/pkg/revisions"
	"istio.io/istio/pkg/test"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	gwapi "sigs.k8s.io/gateway-api/apis/v1"
)

// DeployedGateways returns what istiod would deploy for the Gateway API
// Gateways of class istio among objs: it runs istiod's own deployment
// controller (pilot/pkg/config/kube/gatewaycommon) over the Gateways, their
// ListenerSets and parametersRef ConfigMaps, with the templates and values
// of the install's injector ConfigMap, and collects the Deployments,
// Services, ServiceAccounts and HPAs it applies. A Gateway that yields no
// Deployment (its template or options failed, which the controller only
// logs) is an error.
//
// Each revision's controller (a Gateway's istio.io/rev names a revision or
// a tag, resolved through the IstioOperators' revisionTags) takes the
// Gateways of its revision, with that revision's injector templates:
// which istiod would serve which is thus checked too.
func DeployedGateways(t test.Failer, objs []*unstructured.Unstructured, meshConfig string) ([]*unstructured.Unstructured, error) {
	quietIstio()
	servesWaypoints()
	var gateways []*gwapi.Gateway
	var typed []runtime.Object
	injectors := map[string]*unstructured.Unstructured{}
	revisions := map[string]string{} // a revision or tag -> the revision
	for _, o := range objs {
		switch gk := o.GroupVersionKind().GroupKind(); {
		case gk.Kind == "IstioOperator":
			rev, _, _ := unstructured.NestedString(o.Object, "spec", "revision")
			tags, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "values", "revisionTags")
			for _, name := range append(tags, rev) {
				revisions[name] = rev
			}
			continue
		case gk.Group == "" && gk.Kind == "ConfigMap" && strings.HasPrefix(o.GetName(), "istio-sidecar-injector"):
			injectors[o.GetName()] = o
		case gk.Group == gwapi.GroupName && (gk.Kind == "Gateway" || gk.Kind == "ListenerSet"),
			gk.Group == "" && (gk.Kind == "Namespace" || gk.Kind == "ConfigMap"):
		default:
			continue
		}
		obj, err := typedObject(o)
		if err != nil {
			return nil, err
		}
		if gw, ok := obj.(*gwapi.Gateway); ok {
			gateways = append(gateways, gw)
		}
		typed = append(typed, obj)
	}
	if err := chartRevisions(objs, revisions); err != nil {
		return nil, err
	}
	// one istiod per revision: each deploys the Gateways its revision or one
	// of its tags labels
	byRevision := map[string][]*gwapi.Gateway{}
	for _, gw := range gateways {
		label := gw.Labels[label.IoIstioRev.Name]
		byRevision[label] = append(byRevision[label], gw)
	}
	var out []*unstructured.Unstructured
	for _, label := range slices.Sorted(maps.Keys(byRevision)) {
		injector := injectors["istio-sidecar-injector-"+revisions[label]]
		if injector == nil {
			injector = injectors["istio-sidecar-injector"]
		}
		if injector == nil {
			return nil, fmt.Errorf("no istio-sidecar-injector ConfigMap of revision %q in the install: istiod deploys Gateways from its kube-gateway template", label)
		}
		deployed, err := deployGateways(t, typed, byRevision[label], label, injector, meshConfig)
		if err != nil {
			return nil, err
		}
		out = append(out, deployed...)
	}
	return out, nil
}

// deployGateways runs the deployment controller of the istiod serving
// revision (a revision or one of its tags) over the objects, with that
// revision's injector templates, until it has applied each Gateway's objects.
func deployGateways(t test.Failer, typed []runtime.Object, gateways []*gwapi.Gateway, revision string, injector *unstructured.Unstructured, meshConfig string) ([]*unstructured.Unstructured, error) {
	webhook, err := webhookConfig(injector, meshConfig)
	if err != nil {
		return nil, err
	}
	mc, err := mesh.ApplyMeshConfigDefaults(meshConfig)
	if err != nil {
		return nil, fmt.Errorf("mesh config: %w", err)
	}

	client := kube.NewFakeClient(typed...)
	clienttest.MakeCRD(t, client, gvr.ListenerSet)
	var mu sync.Mutex
	applied := map[string]*unstructured.Unstructured{}
	// the controller applies with server-side apply, which the fake dynamic
	// client does not implement: take the applied objects here
	client.Dynamic().(*dynamicfake.FakeDynamicClient).PrependReactor("patch", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		u := &unstructured.Unstructured{}
		if err := json.Unmarshal(a.(clienttesting.PatchAction).GetPatch(), &u.Object); err != nil {
			return true, nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		if u.GetKind() != "Gateway" { // its controller-version annotation
			applied[u.GetKind()+" "+namespacedName(u)] = u
		}
		return true, u, nil
	})
	env := model.NewEnvironment()
	env.Watcher = meshwatcher.NewTestWatcher(mc)
	env.PushContext().InitDone.Store(true)
	stop := test.NewStop(t)
	tags := revisions.NewTagWatcher(client, revision, constants.IstioSystemNamespace)
	go tags.Run(stop)
	dc := gatewaycommon.NewDeploymentController(client, constants.DefaultClusterName, env,
		func() inject.WebhookConfig { return webhook }, func(func()) {}, tags, revision, constants.IstioSystemNamespace)
	client.RunAndWait(stop)
	go dc.Run(stop)

	// every Gateway gets its objects under the name its class gives them;
	// an HPA only where its options ask for one
	deadline := time.Now().Add(deployTimeout)
	for _, gw := range gateways {
		class := gatewaycommon.ClassInfos[gatewaycommon.BuiltinGatewayClasses[gw.Spec.GatewayClassName]]
		name := gatewaycommon.GetDefaultName(gw.Name, &gw.Spec, class.DisableNameSuffix)
		kinds := []string{"ServiceAccount", "Deployment", "Service"}
		if gw.Spec.Infrastructure != nil && gw.Spec.Infrastructure.ParametersRef != nil {
			kinds = append(kinds, "HorizontalPodAutoscaler")
		}
		for _, kind := range kinds {
			want := kind + " " + gw.Namespace + "/" + name
			for {
				mu.Lock()
				_, done := applied[want]
				mu.Unlock()
				if done {
					break
				}
				if time.Now().After(deadline) {
					return nil, fmt.Errorf("gateway %s/%s: istiod's deployment controller applied no %s (a template or parametersRef error, which it only logs)", gw.Namespace, gw.Name, want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	out := make([]*unstructured.Unstructured, 0, len(applied))
	for _, k := range slices.Sorted(maps.Keys(applied)) {
		out = append(out, applied[k])
	}
	return out, nil
}

// deployTimeout is how long DeployedGateways waits for the controller:
// it applies a Gateway's objects in milliseconds, or never.
var deployTimeout = 30 * time.Second

// servesWaypoints makes istiod's Gateway code here know the istio-waypoint
// class, as PILOT_ENABLE_AMBIENT=true (which an IstioOperator with ambient
// namespaces sets) makes it at start: the flag is read when the process
// starts, so its derived tables are rebuilt, as Istio's own tests do.
var servesWaypoints = sync.OnceFunc(func() {
	features.EnableAmbientWaypoints = true
	gatewaycommon.BuiltinGatewayClasses = gatewaycommon.GetBuiltinGatewayClasses()
	gatewaycommon.ClassInfos = gatewaycommon.GetClassInfos()
})

// webhookConfig is what istiod's injector reads from its ConfigMap: the
// templates (kube-gateway among them) and the values.
func webhookConfig(cm *unstructured.Unstructured, meshConfig string) (inject.WebhookConfig, error) {
	config, _, _ := unstructured.NestedString(cm.Object, "data", "config")
	values, _, _ := unstructured.NestedString(cm.Object, "data", "values")
	c, err := inject.UnmarshalConfig([]byte(config))
	if err != nil {
		return inject.WebhookConfig{}, fmt.Errorf("%s: config: %w", namespacedName(cm), err)
	}
	templates, err := inject.ParseTemplates(c.RawTemplates)
	if err != nil {
		return inject.WebhookConfig{}, fmt.Errorf("%s: templates: %w", namespacedName(cm), err)
	}
	vc, err := inject.NewValuesConfig(values)
	if err != nil {
		return inject.WebhookConfig{}, fmt.Errorf("%s: values: %w", namespacedName(cm), err)
	}
	mc, err := mesh.ApplyMeshConfigDefaults(meshConfig)
	if err != nil {
		return inject.WebhookConfig{}, fmt.Errorf("mesh config: %w", err)
	}
	return inject.WebhookConfig{Templates: templates, Values: vc, MeshConfig: mc}, nil
}

// chartRevisions adds the revisions and tags of the istiod chart releases
// among objs (Flux HelmReleases, Argo CD Applications) to revisions.
func chartRevisions(objs []*unstructured.Unstructured, revisions map[string]string) error {
	rels, err := istiodReleases(objs)
	if err != nil {
		return err
	}
	for _, r := range rels {
		rev, _ := r.Values["revision"].(string)
		revisions[rev] = rev
		tags, _ := r.Values["revisionTags"].([]any)
		for _, tag := range tags {
			revisions[fmt.Sprint(tag)] = rev
		}
	}
	return nil
}

// istiodReleases are the releases of the istiod chart among objs.
func istiodReleases(objs []*unstructured.Unstructured) ([]ChartRelease, error) {
	docs := make([]Doc, 0, len(objs))
	for _, o := range objs {
		d, err := DocOf(o.GetName(), o)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	rels, err := Releases(docs)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rels, func(r ChartRelease) bool { return r.Chart != "istiod" }), nil
}
