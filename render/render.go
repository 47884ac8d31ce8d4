// Package render turns a validated Mesh and its Tenants into the Kubernetes,
// Istio and cert-manager objects of the reference architecture. It is pure:
// no I/O, no clocks, and the same input always yields the same objects in the
// same order.
package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	spec "github.com/meshwright/meshwright/schema"
)

// Labels and annotations every rendered object carries.
const (
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	ManagedBy        = "meshwright"
	AnnotationSource = "meshwright.dev/source"
	// AnnotationLocalConfig marks objects kpt and kustomize must not apply.
	AnnotationLocalConfig = "config.kubernetes.io/local-config"
	LabelTenant           = "meshwright.dev/tenant"
)

// Object is a rendered Kubernetes object built from its upstream Go type.
type Object interface {
	metav1.Object
	GetObjectKind() schema.ObjectKind
}

// Kind returns the object's kind.
func Kind(o Object) string { return o.GetObjectKind().GroupVersionKind().Kind }

// kindOrder is the order objects are emitted in: what others depend on comes
// first (namespaces, RBAC, the issuer before its certificates).
var kindOrder = []string{
	"Namespace",
	"PodSecurityPolicy",
	"ServiceAccount",
	"ClusterRole",
	"Role",
	"RoleBinding",
	"IstioOperator",
	"PeerAuthentication",
	"RequestAuthentication",
	"AuthorizationPolicy",
	"Issuer",
	"Bundle",
	"Certificate",
	"Gateway",
	"VirtualService",
	"DestinationRule",
	"ServiceEntry",
	"NetworkPolicy",
}

var kindRank = func() map[string]int {
	m := make(map[string]int, len(kindOrder))
	for i, k := range kindOrder {
		m[k] = i
	}
	return m
}()

// Render returns every object the Mesh and Tenants describe, sorted by kind
// (kindOrder), namespace and name. It fails, with every collision located in
// the inputs, when two inputs would render the same object.
func Render(mesh *spec.Mesh, tenants []*spec.Tenant) ([]Object, error) {
	set := newObjectSet()
	set.add(mesh.Origin, sourceOf(mesh.Kind, mesh.Metadata.Name), meshObjects(mesh)...)
	for _, t := range tenants {
		set.add(t.Origin, sourceOf(t.Kind, t.Metadata.Name), tenantObjects(&mesh.Spec, t)...)
	}
	if len(set.errs) > 0 {
		return nil, set.errs
	}
	sortObjects(set.objects)
	return set.objects, nil
}

// meshObjects are the objects the mesh admin's Mesh renders.
func meshObjects(mesh *spec.Mesh) []Object {
	m := &mesh.Spec
	objs := install(mesh)
	objs = append(objs, meshSecurity(m)...)
	objs = append(objs, issuerObjects(m)...)
	return append(objs, tenantEdgeClusterRole())
}

// tenantObjects are the objects one team's Tenant renders.
func tenantObjects(m *spec.MeshSpec, t *spec.Tenant) []Object {
	objs := tenancy(m, t)
	objs = append(objs, tenantEdgeBinding(m, t)...)
	for _, s := range t.Spec.Services {
		objs = append(objs, serviceObjects(m, s)...)
	}
	for _, e := range t.Spec.Egress {
		objs = append(objs, egressObjects(m, e)...)
	}
	return objs
}

func sourceOf(kind, name string) string { return kind + "/" + name }

// objectSet collects rendered objects and refuses duplicates.
type objectSet struct {
	objects []Object
	owner   map[string]owner // kind/namespace/name -> the input rendering it
	errs    spec.Errors
}

// owner is the input an object came from, to name it in a collision.
type owner struct {
	source string
	origin spec.Origin
}

func (o owner) String() string {
	d := o.origin.Locate(spec.SeverityError, spec.Path{"metadata", "name"}, "")
	return fmt.Sprintf("%s (%s:%d)", o.source, d.File, d.Line)
}

func newObjectSet() *objectSet { return &objectSet{owner: map[string]owner{}} }

func (s *objectSet) add(origin spec.Origin, source string, objs ...Object) {
	for _, o := range objs {
		key := Kind(o) + "/" + o.GetNamespace() + "/" + o.GetName()
		if prev, dup := s.owner[key]; dup {
			d := origin.Locate(spec.SeverityError, spec.Path{"metadata", "name"}, fmt.Sprintf(
				"renders %s %q in namespace %q, which %s renders too: rename one of them", Kind(o), o.GetName(), o.GetNamespace(), prev))
			d.Resource = source
			s.errs = append(s.errs, d)
			continue
		}
		s.owner[key] = owner{source, origin}
		annotate(o, source)
		s.objects = append(s.objects, o)
	}
}

// annotate adds the labels and annotations every rendered object carries.
func annotate(o Object, source string) {
	labels := o.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelManagedBy] = ManagedBy
	o.SetLabels(labels)
	ann := o.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationSource] = source
	o.SetAnnotations(ann)
}

// sortObjects orders by kind rank, namespace and name. The keys are read
// once: a kind is parsed from the apiVersion on every call.
func sortObjects(objs []Object) {
	type keyed struct {
		rank     int
		ns, name string
		object   Object
	}
	keys := make([]keyed, len(objs))
	for i, o := range objs {
		keys[i] = keyed{kindRank[Kind(o)], o.GetNamespace(), o.GetName(), o}
	}
	slices.SortStableFunc(keys, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), strings.Compare(a.ns, b.ns), strings.Compare(a.name, b.name))
	})
	for i, k := range keys {
		objs[i] = k.object
	}
}

// objectMeta is the metadata of a namespaced object (namespace "" for
// cluster-scoped ones).
func objectMeta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace}
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}
