package encode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/internal/testspec"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
)

// TestIstioPlainIsTheJSONRoundTrip holds istioPlain to the upstream types'
// own JSON (jsonpb, read back) over every object the examples, the golden
// cases and specgen platforms render, and over messages that set what the
// renders do not (durations with nanos, floats, 64-bit integers, wrappers,
// Struct values, an enum number with no name). It also checks that
// istioPlain takes every Istio object: a silent fall back to JSON would
// keep the output right and lose the speed.
func TestIstioPlainIsTheJSONRoundTrip(t *testing.T) {
	taken := 0
	check := func(t *testing.T, objs []render.Object) {
		t.Helper()
		for _, o := range objs {
			if _, _, _, ok := istioParts(o); !ok {
				continue
			}
			got, err := istioPlain(o)
			if err != nil {
				t.Errorf("%s %s/%s: istioPlain: %v", render.Kind(o), o.GetNamespace(), o.GetName(), err)
				continue
			}
			shape(got)
			want, err := plainViaJSON(o)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s/%s:\n got %#v\nwant %#v", render.Kind(o), o.GetNamespace(), o.GetName(), got, want)
			}
			taken++
		}
	}
	for _, c := range corpus(t) {
		t.Run(c.name, func(t *testing.T) { check(t, c.objs) })
	}
	if taken < 1000 {
		t.Errorf("istioPlain took %d objects: want every Istio object of the renders, over a thousand", taken)
	}
}

// corpus is what the examples, the golden cases and specgen platforms
// render, and objects with messages the renders do not hold.
func corpus(t *testing.T) []namedObjects {
	t.Helper()
	var all []namedObjects
	for _, dir := range testspec.SpecDirs(t, "..") {
		files, err := meshwright.ReadFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, namedObjects{dir, rendered(t, files)})
	}
	for seed := int64(0); seed < 4; seed++ {
		for _, visibility := range []string{"scoped", "mesh"} {
			files := specgen.Files(specgen.Options{Tenants: 12, Services: 6, Seed: seed, Visibility: visibility})
			all = append(all, namedObjects{fmt.Sprintf("specgen seed %d %s", seed, visibility), rendered(t, files)})
		}
	}
	return append(all, namedObjects{"messages the renders do not hold", unusualMessages()})
}

type namedObjects struct {
	name string
	objs []render.Object
}

func rendered(t *testing.T, files []schema.File) []render.Object {
	t.Helper()
	objs, diags := meshwright.Render(files)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return objs
}

func unusualMessages() []render.Object {
	meta := metav1.ObjectMeta{Name: "unusual", Namespace: "ns", Labels: map[string]string{"a": "b"}}
	vs := &networkingv1.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: meta,
		Spec: networking.VirtualService{
			Hosts: []string{"a.example.com", "<html>&"},
			Http: []*networking.HTTPRoute{{
				Timeout:          durationpb.New(1500 * 1e6),
				Retries:          &networking.HTTPRetry{Attempts: 3, PerTryTimeout: durationpb.New(-2e9 - 1), RetryRemoteLocalities: wrapperspb.Bool(false)},
				MirrorPercentage: &networking.Percent{Value: 12.5},
				Fault: &networking.HTTPFaultInjection{Abort: &networking.HTTPFaultInjection_Abort{
					ErrorType:  &networking.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: 503},
					Percentage: &networking.Percent{Value: 100},
				}},
				Headers:    &networking.Headers{Request: &networking.Headers_HeaderOperations{Set: map[string]string{"x": "1", "é": "ü"}}},
				CorsPolicy: &networking.CorsPolicy{}, // set and empty: {}
			}, {
				MirrorPercentage: &networking.Percent{Value: math.Copysign(0, -1)}, // -0 is set: written
			}, {}}, // an empty route: - {}
		},
	}
	dr := &networkingv1.DestinationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
		ObjectMeta: meta,
		Spec: networking.DestinationRule{
			Host: "a.example.com",
			TrafficPolicy: &networking.TrafficPolicy{
				LoadBalancer: &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_ConsistentHash{
					ConsistentHash: &networking.LoadBalancerSettings_ConsistentHashLB{MinimumRingSize: math.MaxUint64},
				}},
				OutlierDetection: &networking.OutlierDetection{ConsecutiveGatewayErrors: wrapperspb.UInt32(7), MaxEjectionPercent: -1, MinHealthPercent: math.MaxInt32},
				Tls:              &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_TLSmode(99), InsecureSkipVerify: wrapperspb.Bool(true)},
			},
		},
	}
	value, err := structpb.NewStruct(map[string]any{"n": 1.0, "f": 0.1, "big": 1e21, "null": nil, "list": []any{true, "x", 3.0}})
	if err != nil {
		panic(err)
	}
	ap := &securityv1.AuthorizationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "AuthorizationPolicy"},
		ObjectMeta: meta,
		Spec: security.AuthorizationPolicy{
			Action: security.AuthorizationPolicy_CUSTOM,
			Rules:  []*security.Rule{{When: []*security.Condition{{Key: "request.auth.claims[groups]", Values: []string{"a"}}}}},
		},
	}
	ef := envoyFilterWith(value)
	// bytes that are not UTF-8 in the envelope: JSON replaces them
	broken := ap.DeepCopy()
	broken.APIVersion = "security.istio.io/v1\xff"
	// no apiVersion, kind or spec: all three left out
	bare := &networkingv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "bare"}}
	// an empty spec written: the policy that allows nothing
	nothing := &securityv1.AuthorizationPolicy{TypeMeta: ap.TypeMeta, ObjectMeta: metav1.ObjectMeta{Name: "nothing", Namespace: "ns"}}
	return []render.Object{vs, dr, ap, ef, broken, bare, nothing}
}

func envoyFilterWith(value *structpb.Struct) render.Object {
	return &networkingv1alpha3.EnvoyFilter{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.istio.io/v1alpha3", Kind: "EnvoyFilter"},
		// metadata that simpleMetadata leaves to JSON
		ObjectMeta: metav1.ObjectMeta{Name: "unusual", Namespace: "ns", Finalizers: []string{"x"}, CreationTimestamp: metav1.Unix(1, 0).Rfc3339Copy()},
		Spec: networking.EnvoyFilter{
			Priority: -3,
			ConfigPatches: []*networking.EnvoyFilter_EnvoyConfigObjectPatch{{
				ApplyTo: networking.EnvoyFilter_HTTP_FILTER,
				Patch:   &networking.EnvoyFilter_Patch{Operation: networking.EnvoyFilter_Patch_MERGE, Value: value},
			}},
		},
	}
}

// TestSimpleMetadata holds simpleMetadata, and simpleMeta as written, to
// ObjectMeta's JSON read back, and fails when ObjectMeta gains a field
// they do not know: that field would be left out of every object.
func TestSimpleMetadata(t *testing.T) {
	known := []string{"Name", "GenerateName", "Namespace", "SelfLink", "UID", "ResourceVersion", "Generation",
		"CreationTimestamp", "DeletionTimestamp", "DeletionGracePeriodSeconds", "Labels", "Annotations",
		"OwnerReferences", "Finalizers", "ManagedFields"}
	var fields []string
	for f := range reflect.TypeFor[metav1.ObjectMeta]().Fields() {
		fields = append(fields, f.Name)
	}
	if !reflect.DeepEqual(fields, known) {
		t.Fatalf("ObjectMeta's fields are %v; simpleMetadata knows %v: check the new ones there", fields, known)
	}
	grace := int64(3)
	now := metav1.Unix(5, 0)
	for _, tt := range []struct {
		name   string
		meta   metav1.ObjectMeta
		simple bool
	}{
		{"empty", metav1.ObjectMeta{}, true},
		{"names", metav1.ObjectMeta{Name: "a", GenerateName: "a-", Namespace: "ns"}, true},
		{"labels and annotations", metav1.ObjectMeta{Name: "a", Labels: map[string]string{"k": "v", "e": "", "a b": "true"}, Annotations: map[string]string{"x/y": "multi\nline\n", "b": "1"}}, true},
		{"namespace alone", metav1.ObjectMeta{Namespace: "ns"}, true},
		{"empty labels", metav1.ObjectMeta{Name: "a", Labels: map[string]string{}}, true},
		{"not UTF-8", metav1.ObjectMeta{Name: "a", Labels: map[string]string{"k": "\xff"}}, false},
		{"name not UTF-8", metav1.ObjectMeta{Name: "\xff"}, false},
		{"annotation key not UTF-8", metav1.ObjectMeta{Annotations: map[string]string{"\xff": "v"}}, false},
		{"selfLink", metav1.ObjectMeta{SelfLink: "/x"}, false},
		{"uid", metav1.ObjectMeta{UID: "u"}, false},
		{"resourceVersion", metav1.ObjectMeta{ResourceVersion: "1"}, false},
		{"generation", metav1.ObjectMeta{Generation: 1}, false},
		{"creationTimestamp", metav1.ObjectMeta{CreationTimestamp: now}, false},
		{"deletionTimestamp", metav1.ObjectMeta{DeletionTimestamp: &now}, false},
		{"deletionGracePeriodSeconds", metav1.ObjectMeta{DeletionGracePeriodSeconds: &grace}, false},
		{"ownerReferences", metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Name: "o"}}}, false},
		{"finalizers", metav1.ObjectMeta{Finalizers: []string{}}, false},
		{"managedFields", metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if simple := isSimpleMetadata(&tt.meta); simple != tt.simple {
				t.Fatalf("simple = %v, want %v", simple, tt.simple)
			}
			if !tt.simple {
				return
			}
			b, err := json.Marshal(&tt.meta)
			if err != nil {
				t.Fatal(err)
			}
			want, err := decodeJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := simpleMetadata(&tt.meta); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v\nwant %#v", got, want)
			}
			// written as read: as writeValue writes the plain value
			var written, plain bytes.Buffer
			if err := writeValue(&written, map[string]any{"metadata": simpleMeta{&tt.meta}, "z": int64(1)}); err != nil {
				t.Fatal(err)
			}
			if err := writeValue(&plain, map[string]any{"metadata": want, "z": int64(1)}); err != nil {
				t.Fatal(err)
			}
			if written.String() != plain.String() {
				t.Errorf("written\n%s\nwant\n%s", written.String(), plain.String())
			}
		})
	}
}
