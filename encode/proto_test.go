package encode

import (
	"fmt"
	"math"
	"path/filepath"
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
	var cases []string
	for _, pattern := range []string{"../examples/*/spec", "../examples/*/*/spec", "../testdata/golden/*/spec"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, m...)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, dir := range cases {
		files, err := meshwright.ReadFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(dir, func(t *testing.T) { check(t, rendered(t, files)) })
	}
	for seed := int64(0); seed < 4; seed++ {
		for _, visibility := range []string{"scoped", "mesh"} {
			files := specgen.Files(specgen.Options{Tenants: 12, Services: 6, Seed: seed, Visibility: visibility})
			t.Run(fmt.Sprintf("specgen seed %d %s", seed, visibility), func(t *testing.T) { check(t, rendered(t, files)) })
		}
	}
	t.Run("messages the renders do not hold", func(t *testing.T) { check(t, unusualMessages()) })
	if taken < 1000 {
		t.Errorf("istioPlain took %d objects: want every Istio object of the renders, over a thousand", taken)
	}
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
				Headers: &networking.Headers{Request: &networking.Headers_HeaderOperations{Set: map[string]string{"x": "1", "é": "ü"}}},
			}},
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
	return []render.Object{vs, dr, ap, ef}
}

func envoyFilterWith(value *structpb.Struct) render.Object {
	return &networkingv1alpha3.EnvoyFilter{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1alpha3", Kind: "EnvoyFilter"},
		ObjectMeta: metav1.ObjectMeta{Name: "unusual", Namespace: "ns"},
		Spec: networking.EnvoyFilter{
			Priority: -3,
			ConfigPatches: []*networking.EnvoyFilter_EnvoyConfigObjectPatch{{
				ApplyTo: networking.EnvoyFilter_HTTP_FILTER,
				Patch:   &networking.EnvoyFilter_Patch{Operation: networking.EnvoyFilter_Patch_MERGE, Value: value},
			}},
		},
	}
}
