// Package render turns a validated Mesh and its Tenants into the Kubernetes,
// Istio and cert-manager objects of the reference architecture. It is pure:
// no I/O, no clocks, and the same input always yields the same objects in the
// same order.
package render

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshwright/meshwright/internal/parallel"
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
	var c Collector
	diags := Each(s, c.Add)
	if diags.Err() != nil {
		return nil, diags
	}
	return c.Objects(), diags
}

// Each renders the inputs of a validated spec one at a time, on every core:
// the Mesh is source 0, Tenant i is source i+1. It hands each input's
// objects to emit as soon as they are rendered, so that a caller that
// encodes them need not hold them all (a platform's objects take several
// times the memory of their YAML). emit is called once per input, from
// several goroutines at once. The diagnostics are Render's; with an error
// among them, what emit received is not a render.
func Each(s *spec.Spec, emit func(source int, objs []Object)) spec.Diagnostics {
	mesh := s.Mesh
	ambient := anyAmbient(s)
	calls := callsOf(s.Tenants)
	inputs := make([]rendered, len(s.Tenants)+1)
	parallel.ForEach(len(inputs), min(runtime.GOMAXPROCS(0), len(inputs)), func(_, i int) {
		in := &inputs[i]
		var objs []Object
		if i == 0 {
			in.origin, in.source = mesh.Origin, sourceOf(mesh.Kind, mesh.Metadata.Name)
			objs = meshObjects(mesh, ambient)
		} else {
			t := s.Tenants[i-1]
			in.origin, in.source = t.Origin, sourceOf(t.Kind, t.Metadata.Name)
			objs = tenantObjects(&mesh.Spec, t, calls)
			in.warnings = append(clientCAWarnings(&mesh.Spec, t), registryOnlyWarnings(&mesh.Spec, t)...)
		}
		in.objects, in.hashes = make([]identity, len(objs)), make([]uint64, len(objs))
		for j, o := range objs {
			annotate(o, in.source)
			in.objects[j] = identity{groupKind(o), o.GetNamespace(), o.GetName()}
			in.hashes[j] = identityHash(in.objects[j])
		}
		emit(i, objs)
	})
	// collisions are looked for in input order, so that which of two
	// inputs is "first" does not depend on the scheduling
	set := newObjectSet(inputs)
	for i := range inputs {
		set.add(i)
		set.diags = append(set.diags, inputs[i].warnings...)
	}
	return set.diags
}

// rendered is what Each keeps of one input once its objects are emitted.
type rendered struct {
	origin   spec.Origin
	source   string
	objects  []identity
	hashes   []uint64 // identityHash of each object, hashed on every core
	warnings spec.Diagnostics
}

// identity is what makes two rendered objects the same object.
type identity struct {
	groupKind       schema.GroupKind
	namespace, name string
}

// identityHash is a variable for a test to make identities collide.
var identityHash = func() func(identity) uint64 {
	seed := maphash.MakeSeed()
	return func(id identity) uint64 { return maphash.Comparable(seed, id) }
}()

// Collector gathers what Each emits, from any goroutine, in Render's order.
type Collector struct {
	mu       sync.Mutex
	bySource [][]Object
}

// Add keeps one input's objects; it is Each's emit.
func (c *Collector) Add(source int, objs []Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if source >= len(c.bySource) {
		c.bySource = slices.Grow(c.bySource, source+1-len(c.bySource))[:source+1]
	}
	c.bySource[source] = objs
}

// Objects are the objects added, sorted by kind, namespace and name.
func (c *Collector) Objects() []Object {
	c.mu.Lock()
	defer c.mu.Unlock()
	objs := slices.Concat(c.bySource...)
	sortObjects(objs)
	return objs
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

// objectSet refuses objects that two inputs render. It runs on one core
// after the render, so it looks objects up by their hashes, taken on every
// core (keyed by identity, it took 0.4 s at 10,000 tenants).
type objectSet struct {
	inputs []rendered
	first  map[uint64]objectAt // the first object with each hash; sized ahead, it never grows
	others map[identity]int32  // the input rendering each object whose hash another object had first
	diags  spec.Diagnostics
}

// objectAt is an object's place: its input, and its index in the input.
type objectAt struct{ input, object int32 }

// owner is the input an object came from, to name it in a collision.
type owner struct {
	source string
	origin spec.Origin
}

func (o owner) String() string {
	line, _ := o.origin.Position(spec.Path{"metadata", "name"})
	return fmt.Sprintf("%s (%s:%d)", o.source, o.origin.File, line)
}

func newObjectSet(inputs []rendered) *objectSet {
	n := 0
	for _, in := range inputs {
		n += len(in.objects)
	}
	return &objectSet{inputs: inputs, first: make(map[uint64]objectAt, n), others: map[identity]int32{}}
}

// add takes input i's objects.
func (s *objectSet) add(i int) {
	in := &s.inputs[i]
	for j, id := range in.objects {
		h := in.hashes[j]
		prev, taken := s.first[h]
		switch {
		case !taken:
			s.first[h] = objectAt{int32(i), int32(j)}
		case s.inputs[prev.input].objects[prev.object] == id:
			s.collide(i, int(prev.input), id)
		default:
			if other, dup := s.others[id]; dup {
				s.collide(i, int(other), id)
			} else {
				s.others[id] = int32(i)
			}
		}
	}
}

// collide reports an object id that input i renders and input prev did
// before, at both inputs, each naming the other: either may be the one a
// change touched.
func (s *objectSet) collide(i, prev int, id identity) {
	at := owner{s.inputs[i].source, s.inputs[i].origin}
	other := owner{s.inputs[prev].source, s.inputs[prev].origin}
	s.conflict(at, other, id)
	s.conflict(other, at, id)
}

// conflict reports, at input at, that it renders the object id, which other
// renders too.
func (s *objectSet) conflict(at, other owner, id identity) {
	d := at.origin.Locate(spec.SeverityError, spec.CodeRenderedNameConflict, spec.Path{"metadata", "name"}, fmt.Sprintf(
		"renders %s %q in namespace %q, which %s renders too: rename one of them", id.groupKind.Kind, id.name, id.namespace, other))
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

// Key is an object's place in the order Render returns objects in.
type Key struct {
	rank            int
	namespace, name string
}

// KeyOf is o's Key.
func KeyOf(o Object) Key { return Key{kindRank[groupKind(o)], o.GetNamespace(), o.GetName()} }

// Rank is the place of the object's kind in the order, from 0.
func (k Key) Rank() int { return k.rank }

// Compare orders by kind rank, namespace and name.
func (k Key) Compare(l Key) int {
	return cmp.Or(cmp.Compare(k.rank, l.rank), strings.Compare(k.namespace, l.namespace), strings.Compare(k.name, l.name))
}

// sortObjects orders objects by Key, stably. The keys are read once: a kind
// is parsed from the apiVersion on every call.
func sortObjects(objs []Object) {
	type keyed struct {
		key    Key
		object Object
	}
	keys := make([]keyed, len(objs))
	for i, o := range objs {
		keys[i] = keyed{KeyOf(o), o}
	}
	slices.SortStableFunc(keys, func(a, b keyed) int { return a.key.Compare(b.key) })
	for i, k := range keys {
		objs[i] = k.object
	}
}
