package conformance

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/endpoints/deprecation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// The API lifecycle rule: no object may use an API version that the pinned
// upstreams deprecate, no longer serve, or have superseded, judged by the
// signals those upstreams give themselves.
//
//   - Custom resources, by the pinned CRD of their group and kind: the version
//     must exist, be served, not be marked `deprecated: true`, and be the
//     newest version the CRD serves (an older served version is what the
//     upstream deprecates next; the API server's discovery prefers the newest
//     and its deprecation warnings point to it). The storage version is not a
//     signal: it is an encoding choice (Istio's Telemetry stores v1alpha1 and
//     serves v1).
//   - Built-in kinds, by k8s.io/api's prerelease lifecycle
//     (zz_generated.prerelease-lifecycle.go: introduced, deprecated, removed,
//     replacement) at the Kubernetes release the Mesh targets, worded with the
//     API server's own warning (k8s.io/apiserver's endpoints/deprecation). GA
//     versions carry no lifecycle: Kubernetes never removes them.
//   - The IstioOperator has no CRD (istioctl reads it from files); its
//     deprecations are the operator's validation warnings (Validate) and
//     istioctl's messages (the istioctl tests).
//
// No API server runs in these checks: the warnings an API server would send
// on apply are computed here from the same data and code.

// Release is a Kubernetes minor release, such as 1.30.
type Release struct{ Major, Minor int }

func (r Release) String() string { return fmt.Sprintf("%d.%d", r.Major, r.Minor) }

// before reports whether r is an earlier release than major.minor.
func (r Release) before(major, minor int) bool {
	return r.Major < major || r.Major == major && r.Minor < minor
}

// PinnedKubernetes is the Kubernetes release whose API types go.mod pins:
// k8s.io/api v0.X.Y is Kubernetes 1.X.
func PinnedKubernetes() (Release, error) {
	v, err := ModuleVersion("k8s.io/api")
	if err != nil {
		return Release{}, err
	}
	m := regexp.MustCompile(`^v0\.(\d+)\.`).FindStringSubmatch(v)
	if m == nil {
		return Release{}, fmt.Errorf("k8s.io/api %s: not a v0.X.Y version", v)
	}
	minor, _ := strconv.Atoi(m[1])
	return Release{Major: 1, Minor: minor}, nil
}

// crdVersions is what one pinned CRD says about each of its versions,
// served or not (the schemas are in crdKind).
type crdVersions struct {
	source   string // the CRD's name and file, for messages
	group    string
	kind     string
	versions []apiextensionsv1.CustomResourceDefinitionVersion // without schemas
}

func newCRDVersions(file string, crd *apiextensionsv1.CustomResourceDefinition) *crdVersions {
	c := &crdVersions{
		source: fmt.Sprintf("CRD %s (%s)", crd.Name, filepath.Base(file)),
		group:  crd.Spec.Group,
		kind:   crd.Spec.Names.Kind,
	}
	for _, v := range crd.Spec.Versions {
		c.versions = append(c.versions, apiextensionsv1.CustomResourceDefinitionVersion{
			Name: v.Name, Served: v.Served, Storage: v.Storage,
			Deprecated: v.Deprecated, DeprecationWarning: v.DeprecationWarning,
		})
	}
	return c
}

func (c *crdVersions) version(name string) *apiextensionsv1.CustomResourceDefinitionVersion {
	for i := range c.versions {
		if c.versions[i].Name == name {
			return &c.versions[i]
		}
	}
	return nil
}

// newerServed returns the served, non-deprecated versions that sort above
// v in Kubernetes' version order (v2 > v1 > v1beta2 > v1beta1 > v1alpha1),
// newest first: the order the API server's discovery and its CRD
// deprecation warnings use.
func (c *crdVersions) newerServed(v string) []string {
	var out []string
	for _, x := range c.versions {
		if x.Served && !x.Deprecated && version.CompareKubeAwareVersionStrings(v, x.Name) < 0 {
			out = append(out, x.Name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return version.CompareKubeAwareVersionStrings(out[i], out[j]) > 0 })
	return out
}

func (c *crdVersions) names() []string {
	var out []string
	for _, v := range c.versions {
		out = append(out, v.Name)
	}
	return out
}

// deprecationWarning is the warning the API server sends for an object of a
// deprecated CRD version: the CRD's deprecationWarning, else the default of
// apiextensions-apiserver (customresource_handler.go,
// defaultDeprecationWarning, unexported there).
func (c *crdVersions) deprecationWarning(v *apiextensionsv1.CustomResourceDefinitionVersion) string {
	if v.DeprecationWarning != nil {
		return *v.DeprecationWarning
	}
	msg := fmt.Sprintf("%s/%s %s is deprecated", c.group, v.Name, c.kind)
	if newer := c.newerServed(v.Name); len(newer) > 0 {
		msg += fmt.Sprintf("; use %s/%s %s", c.group, newer[0], c.kind)
	}
	return msg
}

// lifecycle applies the rule to a custom resource of this CRD.
func (c *crdVersions) lifecycle(gvk schema.GroupVersionKind) field.ErrorList {
	p := field.NewPath("apiVersion")
	apiVersion := gvk.GroupVersion().String()
	v := c.version(gvk.Version)
	switch {
	case v == nil:
		return field.ErrorList{field.Invalid(p, apiVersion, fmt.Sprintf("the pinned %s has no version %s (it has %v)", c.source, gvk.Version, c.names()))}
	case !v.Served:
		return field.ErrorList{field.Invalid(p, apiVersion, fmt.Sprintf("the pinned %s no longer serves %s", c.source, gvk.Version))}
	case v.Deprecated:
		return field.ErrorList{field.Invalid(p, apiVersion, fmt.Sprintf("deprecated by the pinned %s; the API server warns on every apply: %s", c.source, c.deprecationWarning(v)))}
	}
	if newer := c.newerServed(gvk.Version); len(newer) > 0 {
		return field.ErrorList{field.Invalid(p, apiVersion, fmt.Sprintf("superseded: the pinned %s serves %s/%s %s, its newest version; use it (%s is not marked deprecated yet: older versions are the ones upstreams deprecate next)",
			c.source, c.group, newer[0], c.kind, gvk.Version))}
	}
	return nil
}

// lifecycleScheme knows every built-in type of the pinned k8s.io/api (as
// client-go registers them) and the PodSecurityPolicy stand-in, whose
// lifecycle psp.go copies from the last k8s.io/api that had it.
var lifecycleScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, addPSPToScheme} {
		if err := add(s); err != nil {
			panic(fmt.Sprintf("building lifecycle scheme: %v", err))
		}
	}
	return s
}()

// acceptedDeprecations are the deprecated built-in APIs meshwright renders on
// purpose, each with its reason. They are accepted only while the target
// release still serves them: at the removal release they fail like any other.
var acceptedDeprecations = map[schema.GroupVersionKind]string{
	pspGVK: "rendered only for Kubernetes < 1.25: with the PodSecurityPolicy admission plugin on, the CNI's privileged pods are admitted by no other object; " +
		"the kind itself is deprecated and names no replacement (its successor, Pod Security Admission, is the namespace label meshwright renders from 1.25 on)",
}

type lifecycleIntroduced interface {
	APILifecycleIntroduced() (major, minor int)
}

type lifecycleRemoved interface {
	APILifecycleRemoved() (major, minor int)
}

// builtinLifecycle applies the rule to a built-in object at the target.
func builtinLifecycle(obj runtime.Object, gvk schema.GroupVersionKind, target Release) (field.ErrorList, []string) {
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	p := field.NewPath("apiVersion")
	apiVersion := gvk.GroupVersion().String()
	if in, ok := obj.(lifecycleIntroduced); ok {
		if major, minor := in.APILifecycleIntroduced(); target.before(major, minor) {
			return field.ErrorList{field.Invalid(p, apiVersion, fmt.Sprintf("Kubernetes %s does not serve %s %s yet: it was introduced in v%d.%d", target, apiVersion, gvk.Kind, major, minor))}, nil
		}
	}
	warning := deprecation.WarningMessage(obj)
	if rm, ok := obj.(lifecycleRemoved); ok {
		if major, minor := rm.APILifecycleRemoved(); (major != 0 || minor != 0) && !target.before(major, minor) {
			return field.ErrorList{field.Invalid(p, apiVersion, fmt.Sprintf("Kubernetes %s no longer serves it: %s", target, warning))}, nil
		}
	}
	if !deprecation.IsDeprecated(obj, target.Major, target.Minor) {
		return nil, nil
	}
	if reason, ok := acceptedDeprecations[gvk]; ok {
		return nil, []string{fmt.Sprintf("accepted at Kubernetes %s (%s): %s", target, warning, reason)}
	}
	return field.ErrorList{field.Invalid(p, apiVersion, fmt.Sprintf("Kubernetes %s warns on every apply: %s", target, warning))}, nil
}

// Lifecycle applies the API lifecycle rule to one object applied to a
// cluster of the target release. It returns the problems, which fail, and
// the accepted deprecations (acceptedDeprecations), to be logged.
func (v *Validator) Lifecycle(d Doc, target Release) (problems field.ErrorList, accepted []string) {
	gvk := d.Object.GroupVersionKind()
	if gvk == istioOperatorGVK {
		return nil, nil
	}
	if c, ok := v.versions[gvk.GroupKind()]; ok {
		return c.lifecycle(gvk), nil
	}
	if obj, err := lifecycleScheme.New(gvk); err == nil {
		return builtinLifecycle(obj, gvk, target)
	}
	if gvk == helmReleaseGVK {
		// no CRD to read served and deprecated versions from (see
		// builtinKinds); the pinned Flux API module's one version is v2,
		// Flux's GA API
		return nil, nil
	}
	p := field.NewPath("apiVersion")
	if lifecycleScheme.IsGroupRegistered(gvk.Group) {
		return field.ErrorList{field.Invalid(p, gvk.GroupVersion().String(), fmt.Sprintf("Kubernetes serves no %s %s: the pinned k8s.io/api has no such type (removed before it, or never existed)", gvk.GroupVersion(), gvk.Kind))}, nil
	}
	return field.ErrorList{field.Invalid(p, gvk.GroupVersion().String(), fmt.Sprintf("no pinned upstream defines %s %s (no pinned CRD, not a built-in kind): nothing vouches for its version", gvk.GroupVersion(), gvk.Kind))}, nil
}
