package encode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"

	"github.com/meshwright/meshwright/render"
)

// roundTrip is what the writer is held to: x's JSON read back, shaped, as
// writeValue writes it (Plain's path for a type the writer refuses).
func roundTrip(x any) (string, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return "", err
	}
	decoded, err := decodeJSON(b)
	if err != nil {
		return "", err
	}
	v, ok := decoded.(map[string]any)
	if !ok {
		return "", fmt.Errorf("not a JSON object: %s", b)
	}
	shape(v)
	var out bytes.Buffer
	err = writeValue(&out, v)
	return out.String(), err
}

// writtenGo is writeGoObject's document for x, or its error.
func writtenGo(x any) (string, error) {
	var b bytes.Buffer
	err := writeGoObject(&b, x)
	return b.String(), err
}

// TestDirectWritersArePlainWritten holds the writers that read objects as
// they write them (writeIstio: an Istio object's messages; writeGoObject:
// any object's Go value) to writing Plain's value, over the corpus, and
// checks that each takes every object it is for: a silent fall back to
// JSON would keep the output right and lose the speed.
func TestDirectWritersArePlainWritten(t *testing.T) {
	isIstio := func(o render.Object) bool { _, _, _, ok := istioParts(o); return ok }
	writers := []struct {
		name  string
		takes func(render.Object) bool // it must take these; what it takes of the others is compared too
		write func(*bytes.Buffer, render.Object) error
	}{
		{"writeIstio", isIstio, writeIstio},
		// it is given the Istio objects writeIstio refuses
		{"writeGoObject", func(o render.Object) bool { return !isIstio(o) }, func(b *bytes.Buffer, o render.Object) error { return writeGoObject(b, o) }},
	}
	objs := corpus(t)
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			taken := 0
			for _, c := range objs {
				t.Run(c.name, func(t *testing.T) {
					for _, o := range c.objs {
						var got bytes.Buffer
						if err := w.write(&got, o); err != nil {
							if w.takes(o) {
								t.Errorf("%s %s/%s: %v", render.Kind(o), o.GetNamespace(), o.GetName(), err)
							}
							continue
						}
						v, err := Plain(o)
						if err != nil {
							t.Fatal(err)
						}
						var want bytes.Buffer
						if err := writeValue(&want, v); err != nil {
							t.Fatal(err)
						}
						if got.String() != want.String() {
							t.Errorf("%s %s/%s:\n got %s\nwant %s", render.Kind(o), o.GetNamespace(), o.GetName(), got.String(), want.String())
						}
						taken++
					}
				})
			}
			if taken < 1000 {
				t.Errorf("took %d objects: want every one of the renders it is for, over a thousand", taken)
			}
		})
	}
}

// TestWrittenGoIsTheJSONRoundTripForRandomValues fills every type the
// renders write through writeGoObject (and a Pod, which holds most of
// Kubernetes' shapes) with random values, as Kubernetes' own round-trip
// tests do, and requires the writer to write what the JSON round trip
// gives, or to refuse: then the round trip writes it. It also requires the
// writer to take most of them, so that the comparison is not vacuous.
func TestWrittenGoIsTheJSONRoundTripForRandomValues(t *testing.T) {
	types := map[reflect.Type]bool{reflect.TypeFor[corev1.Pod](): true}
	for _, c := range corpus(t) {
		for _, o := range c.objs {
			if _, _, _, ok := istioParts(o); !ok {
				types[reflect.TypeOf(o).Elem()] = true
			}
		}
	}
	const fills = 60
	for typ := range types {
		t.Run(typ.String(), func(t *testing.T) {
			taken := 0
			for seed := range int64(fills) {
				x := reflect.New(typ).Interface()
				randomFiller(seed).Fill(x)
				got, err := writtenGo(x)
				want, wantErr := roundTrip(x)
				switch {
				case err != nil:
					continue // refused: the round trip writes it, or fails
				case wantErr != nil:
					t.Errorf("seed %d: written, but the round trip fails: %v\n%s", seed, wantErr, got)
				case got != want:
					t.Errorf("seed %d:\n got %s\nwant %s", seed, got, want)
				default:
					taken++
				}
			}
			if taken < fills/2 {
				t.Errorf("took %d of %d random values: want most", taken, fills)
			}
		})
	}
}

// randomFiller fills values as Kubernetes' fuzzers do: its types with
// unexported state (quantities, int-or-strings, raw JSON) get values of
// their own kind, the rest random exported fields, nil one time in five.
func randomFiller(seed int64) *randfill.Filler {
	return randfill.New().RandSource(rand.NewSource(seed)).NilChance(0.2).NumElements(0, 3).MaxDepth(12).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(c.Int63n(1<<40), resource.DecimalSI)
		},
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*v = intstr.FromInt32(c.Int31())
			} else {
				*v = intstr.FromString(c.String(8))
			}
		},
		func(r *runtime.RawExtension, c randfill.Continue) { r.Raw = randomJSON(c) },
		func(r *json.RawMessage, c randfill.Continue) { *r = randomJSON(c) },
		func(f *metav1.FieldsV1, c randfill.Continue) { f.Raw = randomJSON(c) },
		func(j *apiextensionsv1.JSON, c randfill.Continue) { j.Raw = randomJSON(c) },
		func(tm *metav1.Time, c randfill.Continue) {
			if c.Bool() {
				*tm = metav1.Unix(c.Int63n(4e9), 0)
			}
		},
		func(d *metav1.Duration, c randfill.Continue) {
			d.Duration = time.Duration(c.Int63n(1e12))
		},
		func(v *any, c randfill.Continue) {
			switch c.Intn(4) {
			case 0:
				*v = c.String(6)
			case 1:
				*v = map[string]any{c.String(3): c.Int63(), "b": c.Bool()}
			case 2:
				*v = []any{c.String(3), nil}
			}
		},
		func(f *float64, c randfill.Continue) {
			*f = float64(c.Int31()) / 8
		},
	)
}

// randomJSON is a JSON object, or nothing.
func randomJSON(c randfill.Continue) []byte {
	if c.Bool() {
		return nil
	}
	return fmt.Appendf(nil, `{"n":%d,"s":%q,"l":[true,null,{}]}`, c.Int63(), c.String(5))
}

// Types for the edges of encoding/json's rules.
type (
	Inner struct {
		A string `json:"a,omitempty"`
		B int    `json:"b"`
	}
	zeroByValue   struct{ N int }
	zeroByPointer struct{ N int }
	text          struct{ S string }
	textByPointer struct{ S string }
	jsonByPointer struct{ S string }
	unexported    struct{ Shown string }
	named         string
	loose         struct{} // its MarshalJSON is not JSON encoding/json accepts
)

func (loose) MarshalJSON() ([]byte, error) { return []byte("01"), nil }

func (z zeroByValue) IsZero() bool          { return z.N == 1 }
func (z *zeroByPointer) IsZero() bool       { return z.N == 1 }
func (t text) MarshalText() ([]byte, error) { return []byte("text:" + t.S), nil }
func (t *textByPointer) MarshalText() ([]byte, error) {
	return []byte("ptext:" + t.S), nil
}
func (j *jsonByPointer) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"p": j.S})
}

// TestWrittenGoEdges holds writeGoObject to the round trip on the edges of
// encoding/json's rules, and names which the writer refuses.
func TestWrittenGoEdges(t *testing.T) {
	s := "s"
	authorizationPolicy := "AuthorizationPolicy"
	cases := []struct {
		name    string
		value   any
		refused bool
	}{
		{"embedded struct inlined", &struct {
			Inner
			C string `json:"c"`
		}{Inner{"x", 1}, "y"}, false},
		{"embedded struct under a name", &struct {
			Inner `json:"in"`
		}{Inner{"x", 1}}, false},
		{"unexported embedded struct under a name", &struct {
			unexported `json:"u"`
		}{unexported{"x"}}, true},
		{"unexported embedded struct inlined", &struct{ unexported }{unexported{"x"}}, false},
		{"embedded pointer", &struct{ *Inner }{&Inner{"x", 1}}, true},
		{"a name two fields claim", &struct {
			Inner
			A string `json:"a"`
		}{Inner{"x", 1}, "y"}, true},
		{"tag - and -,", &struct {
			Skip string `json:"-"`
			Dash string `json:"-,"`
		}{"x", "y"}, false},
		{"untagged and empty-named fields", &struct {
			Plain string
			Empty string `json:",omitempty"`
		}{"x", ""}, false},
		{"string option", &struct {
			N int `json:"n,string"`
		}{1}, true},
		{"omitempty keeps a struct", &struct {
			In Inner `json:"in,omitempty"`
		}{}, false},
		{"omitempty drops empties", &struct {
			S string            `json:"s,omitempty"`
			P *string           `json:"p,omitempty"`
			L []string          `json:"l,omitempty"`
			M map[string]string `json:"m,omitempty"`
			B bool              `json:"b,omitempty"`
			U uint              `json:"u,omitempty"`
		}{}, false},
		{"nil and empty collections", &struct {
			NilL   []string          `json:"nilL"`
			EmptyL []string          `json:"emptyL"`
			NilM   map[string]string `json:"nilM"`
			EmptyM map[string]string `json:"emptyM"`
			NilP   *string           `json:"nilP"`
			P      *string           `json:"p"`
		}{EmptyL: []string{}, EmptyM: map[string]string{}, P: &s}, false},
		{"omitzero by IsZero, value and pointer receivers", &struct {
			V  zeroByValue    `json:"v,omitzero"`
			P  zeroByPointer  `json:"p,omitzero"`
			VK zeroByValue    `json:"vk,omitzero"`
			PP *zeroByPointer `json:"pp,omitzero"`
			R  Inner          `json:"r,omitzero"`
		}{V: zeroByValue{1}, P: zeroByPointer{1}, VK: zeroByValue{0}, PP: &zeroByPointer{1}}, false},
		{"omitzero in a map value, not addressable", &struct {
			M map[string]struct {
				P zeroByPointer `json:"p,omitzero"`
			} `json:"m"`
		}{M: map[string]struct {
			P zeroByPointer `json:"p,omitzero"`
		}{"k": {zeroByPointer{1}}}}, false},
		{"bytes as base64, arrays as lists", &struct {
			B  []byte  `json:"b"`
			A  [2]byte `json:"a"`
			NB []byte  `json:"nb"`
		}{B: []byte("hello"), A: [2]byte{1, 2}}, false},
		{"text marshalers", &struct {
			T  text           `json:"t"`
			TP textByPointer  `json:"tp"`
			PT *textByPointer `json:"pt"`
			N  *text          `json:"n"`
		}{T: text{"a"}, TP: textByPointer{"b"}, PT: &textByPointer{"c"}}, false},
		{"pointer-receiver MarshalJSON, addressable", &struct {
			J jsonByPointer   `json:"j"`
			L []jsonByPointer `json:"l"`
		}{J: jsonByPointer{"a"}, L: []jsonByPointer{{"b"}}}, false},
		{"pointer-receiver MarshalJSON in a map value", &struct {
			M map[string]jsonByPointer `json:"m"`
		}{M: map[string]jsonByPointer{"k": {"a"}}}, true},
		{"interfaces", &struct {
			Nil any `json:"nil"`
			S   any `json:"s"`
			In  any `json:"in"`
		}{S: "x", In: Inner{"x", 2}}, false},
		{"lists of strings", &struct {
			L []string `json:"l"`
			N []named  `json:"n"`
			E []string `json:"e"`
		}{L: []string{"multi\nline\n", "yes", "", "a: b"}, N: []named{"x"}, E: []string{}}, false},
		{"a list of json.Number", &struct {
			L []json.Number `json:"l"`
		}{L: []json.Number{"1"}}, true},
		{"named string", &struct {
			N named `json:"n"`
		}{"x"}, false},
		{"map keys sorted, nested", &struct {
			M map[string][]Inner `json:"m"`
		}{M: map[string][]Inner{"b": {{"x", 1}}, "a": {}}}, false},
		{"integers", &struct {
			I8  int8   `json:"i8"`
			U64 uint64 `json:"u64"`
		}{-8, 1 << 63 >> 1}, false},
		{"uint64 beyond int64", &struct {
			U64 uint64 `json:"u64"`
		}{1 << 63}, true},
		{"json.Number", &struct {
			N json.Number `json:"n"`
		}{"5"}, true},
		{"json.Number in an interface", &struct {
			N any `json:"n"`
		}{json.Number("7")}, true},
		{"MarshalJSON output encoding/json refuses", &struct {
			L loose `json:"l"`
		}{}, true},
		{"floats", &struct {
			F float64 `json:"f"`
		}{1}, true},
		{"map with integer keys", &struct {
			M map[int]string `json:"m"`
		}{M: map[int]string{1: "a"}}, true},
		{"string not UTF-8", &struct {
			S string `json:"s"`
		}{"\xff"}, true},
		{"map key not UTF-8", &struct {
			M map[string]string `json:"m"`
		}{M: map[string]string{"\xff": "a"}}, true},
		{"empty status and spec dropped, creationTimestamp null dropped", &struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
			Spec     Inner             `json:"spec"`
			Status   struct {
				C *string `json:"c"`
			} `json:"status"`
		}{Kind: "K", Spec: Inner{B: 0}}, false},
		{"an empty spec kept for an AuthorizationPolicy", &struct {
			Kind string `json:"kind"`
			Spec struct {
				A string `json:"a,omitempty"`
			} `json:"spec"`
		}{Kind: "AuthorizationPolicy"}, false},
		{"an empty spec kept for an AuthorizationPolicy whose kind is not a string field", &struct {
			Kind *string `json:"kind"`
			Spec struct {
				A string `json:"a,omitempty"`
			} `json:"spec"`
		}{Kind: &authorizationPolicy}, false},
		{"a status with a field written", &struct {
			Status struct {
				A string `json:"a"`
			} `json:"status"`
		}{}, false},
		{"a status of nulls dropped", &struct {
			Status struct {
				P *string `json:"p"`
			} `json:"status"`
		}{}, false},
		{"metadata beyond names, labels and annotations", &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "n", Finalizers: []string{"f"}, CreationTimestamp: metav1.Unix(1e9, 0)},
			Data:       map[string]string{"k": "multi\nline\n"},
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, wantErr := roundTrip(c.value)
			got, err := writtenGo(c.value)
			if refused := err != nil; refused != c.refused {
				t.Fatalf("refused %v (%v), want %v", refused, err, c.refused)
			}
			if wantErr != nil && err == nil {
				t.Fatalf("written, but the round trip fails: %v\n%s", wantErr, got)
			}
			if err == nil && got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
			if err == nil && strings.TrimSpace(got) == "" {
				t.Errorf("wrote nothing")
			}
		})
	}
}
