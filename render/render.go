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

// Object is a rendered Kubernetes object built from its upstream Go type.
type Object interface {
	metav1.Object
	GetObjectKind() schema.ObjectKind
}

// Kind returns the object's kind.
func Kind(o Object) string { return o.GetObjectKind().GroupVersionKind().Kind }

func groupKind(o Object) schema.GroupKind { return o.GetObjectKind().GroupVersionKind().GroupKind() }

// Render returns every object the Mesh and Tenants of a validated spec
// describe, sorted by kind (kindOrder), namespace and name, and what it
// found on the way: warnings about objects it cannot render for the user,
// and an error, located in the inputs, for every pair of inputs that would
// render the same object. With any error the objects are nil.
func Render(s *spec.Spec) ([]Object, spec.Diagnostics) {
	mesh := s.Mesh
	set := newObjectSet()
	set.add(mesh.Origin, sourceOf(mesh.Kind, mesh.Metadata.Name), meshObjects(mesh, anyAmbient(s))...)
	calls := callsOf(s.Tenants)
	for _, t := range s.Tenants {
		set.add(t.Origin, sourceOf(t.Kind, t.Metadata.Name), tenantObjects(&mesh.Spec, t, calls)...)
		set.diags = append(set.diags, clientCAWarnings(&mesh.Spec, t)...)
		set.diags = append(set.diags, registryOnlyWarnings(&mesh.Spec, t)...)
	}
	if set.diags.Err() != nil {
		return nil, set.diags
	}
	sortObjects(set.objects)
	return set.objects, set.diags
}

// meshObjects are the objects the mesh admin's Mesh renders; with ambient
// namespaces (in any tenant) the control plane serves them too.
func meshObjects(mesh *spec.Mesh, ambient bool) []Object {
	m := &mesh.Spec
	objs := install(mesh, ambient)
	objs = append(objs, meshSecurity(m, ambient)...)
	objs = append(objs, issuerObjects(m)...)
	objs = append(objs, gatewayAPIGateways(mesh)...)
	return append(objs, tenantEdgeClusterRole())
}

// tenantObjects are the objects one team's Tenant renders.
func tenantObjects(m *spec.MeshSpec, t *spec.Tenant, calls calls) []Object {
	w := waypointsOf(t)
	objs := tenancy(m, t, w)
	objs = append(objs, tenantEdgeBinding(m, t)...)
	objs = append(objs, tenantIssuers(m, t)...)
	objs = append(objs, access(m, t, w)...)
	objs = append(objs, visibility(m, t, calls)...)
	for _, s := range t.Spec.Services {
		objs = append(objs, serviceObjects(m, t, s, w)...)
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
	diags   spec.Diagnostics
}

// owner is the input an object came from, to name it in a collision.
type owner struct {
	source string
	origin spec.Origin
}

func (o owner) String() string {
	line, _ := o.origin.Position(spec.Path{"metadata", "name"})
	return fmt.Sprintf("%s (%s:%d)", o.source, o.origin.File, line)
}

func newObjectSet() *objectSet { return &objectSet{owner: map[string]owner{}} }

func (s *objectSet) add(origin spec.Origin, source string, objs ...Object) {
	for _, o := range objs {
		key := groupKind(o).String() + "/" + o.GetNamespace() + "/" + o.GetName()
		if prev, dup := s.owner[key]; dup {
			// at both inputs, each naming the other: either may be the one a change touched
			s.conflict(owner{source, origin}, prev, o)
			s.conflict(prev, owner{source, origin}, o)
			continue
		}
		s.owner[key] = owner{source, origin}
		annotate(o, source)
		s.objects = append(s.objects, o)
	}
}

// conflict reports, at input at, that it renders o, which other renders too.
func (s *objectSet) conflict(at, other owner, o Object) {
	d := at.origin.Locate(spec.SeverityError, spec.CodeRenderedNameConflict, spec.Path{"metadata", "name"}, fmt.Sprintf(
		"renders %s %q in namespace %q, which %s renders too: rename one of them", Kind(o), o.GetName(), o.GetNamespace(), other))
	d.Resource = at.source
	s.diags = append(s.diags, d)
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
		keys[i] = keyed{kindRank[groupKind(o)], o.GetNamespace(), o.GetName(), o}
	}
	slices.SortStableFunc(keys, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), strings.Compare(a.ns, b.ns), strings.Compare(a.name, b.name))
	})
	for i, k := range keys {
		objs[i] = k.object
	}
}
