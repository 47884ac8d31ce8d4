package encode

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang/protobuf/jsonpb" //nolint:staticcheck // the marshaler Istio's types use, whose interface this honours
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshwright/meshwright/render"
)

// Istio's resources (client-go) are a Kubernetes envelope around protobuf
// messages whose MarshalJSON is golang/protobuf's jsonpb: a fifth of a
// render's CPU went to writing that JSON, compacting it and reading it back.
// istioPlain builds the same plain value straight from the messages. It is
// held to the JSON round trip over every object the tests render
// (TestIstioPlainIsTheJSONRoundTrip); what it does not know (Any, extensions,
// custom JSONPB marshalers, strings that are not UTF-8) takes the round trip.

// errNotPlain says istioPlain or a direct writer (writeIstio,
// writeGoObject) does not take the object: encode it through JSON.
var errNotPlain = errors.New("not taken without the JSON round trip")

// istioPlain is o as plain values, or an error (errNotPlain among them):
// then o takes the JSON round trip, which gives jsonpb's own error.
func istioPlain(o render.Object) (map[string]any, error) {
	return istioValue(o, false)
}

// istioValue is o as plain values, or with written, as the writer takes
// it: its spec a message read as it is written (writtenProto), its simple
// metadata too (simpleMeta).
func istioValue(o render.Object, written bool) (map[string]any, error) {
	envelope, spec, status, ok := istioParts(o)
	if !ok {
		return nil, errNotPlain
	}
	var specV any
	var err error
	if written {
		specV, err = writtenProto(spec)
	} else {
		specV, err = messageValue(spec.ProtoReflect())
	}
	if err != nil {
		return nil, err
	}
	statusV, err := messageValue(status.ProtoReflect())
	if err != nil {
		return nil, err
	}
	v, err := envelope.value(written)
	if err != nil {
		return nil, err
	}
	v["spec"], v["status"] = specV, statusV
	return v, nil
}

// istioParts splits an object that is exactly TypeMeta (inline),
// ObjectMeta (metadata), a protobuf Spec (spec) and a protobuf Status
// (status), as Istio's client-go types are, into the Kubernetes envelope
// and the two messages.
func istioParts(o render.Object) (env *envelope, spec, status proto.Message, ok bool) {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || !isIstioShape(v.Type().Elem()) {
		return nil, nil, nil, false
	}
	s := v.Elem()
	spec, ok1 := s.Field(2).Addr().Interface().(proto.Message)
	status, ok2 := s.Field(3).Addr().Interface().(proto.Message)
	if !ok1 || !ok2 {
		return nil, nil, nil, false
	}
	env = &envelope{
		TypeMeta: s.Field(0).Addr().Interface().(*metav1.TypeMeta),
		Metadata: s.Field(1).Addr().Interface().(*metav1.ObjectMeta),
	}
	return env, spec, status, true
}

// envelope is the Kubernetes part of an Istio object, as its type writes it
// to JSON.
type envelope struct {
	*metav1.TypeMeta `json:",inline"`
	Metadata         *metav1.ObjectMeta `json:"metadata"`
}

// value is the envelope as its JSON reads back. Metadata of names, labels
// and annotations alone (what renders set) is read directly: marshalling
// and reading back every object's metadata was a tenth of a render's CPU.
// With written, such metadata is left to be read as it is written.
func (e *envelope) value(written bool) (map[string]any, error) {
	if isSimpleMetadata(e.Metadata) && utf8.ValidString(e.APIVersion) && utf8.ValidString(e.Kind) {
		var md any = simpleMeta{e.Metadata}
		if !written {
			md = simpleMetadata(e.Metadata)
		}
		v := map[string]any{"metadata": md}
		if e.APIVersion != "" {
			v["apiVersion"] = e.APIVersion
		}
		if e.Kind != "" {
			v["kind"] = e.Kind
		}
		return v, nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	decoded, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	return decoded.(map[string]any), nil
}

// isSimpleMetadata tells whether m sets no field but names, labels and
// annotations, all UTF-8 (encoding/json would replace other bytes);
// TestSimpleMetadata fails when ObjectMeta gains a field this does not
// check.
func isSimpleMetadata(m *metav1.ObjectMeta) bool {
	if m.SelfLink != "" || m.UID != "" || m.ResourceVersion != "" || m.Generation != 0 ||
		!m.CreationTimestamp.IsZero() || m.DeletionTimestamp != nil || m.DeletionGracePeriodSeconds != nil ||
		m.OwnerReferences != nil || m.Finalizers != nil || m.ManagedFields != nil {
		return false
	}
	if !utf8.ValidString(m.Name) || !utf8.ValidString(m.GenerateName) || !utf8.ValidString(m.Namespace) {
		return false
	}
	return validStrings(m.Labels) && validStrings(m.Annotations)
}

// validStrings tells whether every key and value of m is UTF-8
// (encoding/json and jsonpb would replace or refuse other bytes).
func validStrings(m map[string]string) bool {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// simpleMetadata is simple metadata (isSimpleMetadata) as its JSON reads
// back.
func simpleMetadata(m *metav1.ObjectMeta) map[string]any {
	md := map[string]any{}
	for _, f := range (simpleMeta{m}).fields() {
		switch {
		case len(f.values) > 0:
			values := make(map[string]any, len(f.values))
			for k, v := range f.values {
				values[k] = v
			}
			md[f.key] = values
		case f.value != "":
			md[f.key] = f.value
		}
	}
	return md
}

// simpleMeta is simple metadata (isSimpleMetadata) the writer reads as it
// writes it.
type simpleMeta struct{ m *metav1.ObjectMeta }

// sortedKeys appends m's keys to keys, sorted.
func sortedKeys(m map[string]string, keys []string) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeStringMapEntry writes a non-empty map of strings as the entry key,
// its entries sorted.
func writeStringMapEntry(b *bytes.Buffer, key string, values map[string]string, col int, first bool) error {
	writeKey(b, key, col, first)
	b.WriteByte('\n')
	indent(b, col+2)
	var small [8]string // labels and annotations are few: sorted without allocating
	for i, k := range sortedKeys(values, small[:0]) {
		if err := writeStringEntry(b, k, values[k], col+2, i == 0); err != nil {
			return err
		}
	}
	return nil
}

// simpleField is a field of simple metadata: a string or a string map,
// written when not empty.
type simpleField struct {
	key    string
	value  string
	values map[string]string
}

// fields are the metadata's fields in the order of their JSON names.
func (s simpleMeta) fields() [5]simpleField {
	return [5]simpleField{
		{key: "annotations", values: s.m.Annotations},
		{key: "generateName", value: s.m.GenerateName},
		{key: "labels", values: s.m.Labels},
		{key: "name", value: s.m.Name},
		{key: "namespace", value: s.m.Namespace},
	}
}

func (s simpleMeta) empty() bool {
	for _, f := range s.fields() {
		if len(f.values) > 0 || f.value != "" {
			return false
		}
	}
	return true
}

func (s simpleMeta) writeEntries(b *bytes.Buffer, col int) (bool, error) {
	first := true
	for _, f := range s.fields() {
		switch {
		case len(f.values) > 0:
			if err := writeStringMapEntry(b, f.key, f.values, col, first); err != nil {
				return false, err
			}
		case f.value != "":
			if err := writeStringEntry(b, f.key, f.value, col, first); err != nil {
				return false, err
			}
		default:
			continue
		}
		first = false
	}
	return !first, nil
}

var istioShapes sync.Map // reflect.Type -> bool

// isIstioShape tells whether t is a struct of TypeMeta, ObjectMeta, Spec
// and Status, under the JSON names Istio's types give them.
func isIstioShape(t reflect.Type) bool {
	if known, ok := istioShapes.Load(t); ok {
		return known.(bool)
	}
	shape := t.Kind() == reflect.Struct && t.NumField() == 4 &&
		t.Field(0).Type == reflect.TypeFor[metav1.TypeMeta]() && t.Field(0).Anonymous && jsonName(t.Field(0)) == "" &&
		t.Field(1).Type == reflect.TypeFor[metav1.ObjectMeta]() && jsonName(t.Field(1)) == "metadata" &&
		jsonName(t.Field(2)) == "spec" && jsonName(t.Field(3)) == "status"
	istioShapes.Store(t, shape)
	return shape
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// messageValue is what jsonpb (default options) writes for m, as
// decodeJSON reads it back.
func messageValue(m protoreflect.Message) (any, error) {
	if v, special, err := specialValue(m); special {
		return v, err
	}
	// the populated fields, as jsonpb writes them without EmitDefaults
	out := map[string]any{}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		var value any
		if value, err = fieldValue(fd, v); err != nil {
			return false
		}
		out[fd.JSONName()] = value
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// specialValue is the value of a message jsonpb does not write field by
// field: google.protobuf's types, and what messageValue does not take
// (errNotPlain). special is false for any other message.
func specialValue(m protoreflect.Message) (v any, special bool, err error) {
	if _, custom := m.Interface().(jsonpb.JSONPBMarshaler); custom {
		return nil, true, errNotPlain
	}
	md := m.Descriptor()
	fds := md.Fields()
	switch wellKnown(md.FullName()) {
	case "":
	case "BoolValue", "BytesValue", "StringValue", "Int32Value", "UInt32Value", "FloatValue", "Int64Value", "UInt64Value", "DoubleValue":
		fd := fds.ByNumber(1)
		v, err := singularValue(fd, m.Get(fd))
		return v, true, err
	case "Duration":
		v, err := durationValue(m.Get(fds.ByNumber(1)).Int(), m.Get(fds.ByNumber(2)).Int())
		return v, true, err
	case "Value":
		fd := m.WhichOneof(md.Oneofs().Get(0))
		if fd == nil {
			return nil, true, errors.New("nil Value")
		}
		v, err := fieldValue(fd, m.Get(fd))
		return v, true, err
	case "Struct", "ListValue":
		fd := fds.ByNumber(1)
		v, err := fieldValue(fd, m.Get(fd))
		return v, true, err
	default: // Any, Timestamp, …: what the renders never hold
		return nil, true, errNotPlain
	}
	if md.ExtensionRanges().Len() > 0 {
		return nil, true, errNotPlain
	}
	return nil, false, nil
}

// wellKnown is the name of a google.protobuf type, "" for any other.
func wellKnown(name protoreflect.FullName) string {
	if name.Parent() == "google.protobuf" {
		return string(name.Name())
	}
	return ""
}

func fieldValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	switch {
	case fd.IsList():
		lv := v.List()
		out := make([]any, lv.Len())
		for i := range out {
			e, err := singularValue(fd, lv.Get(i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case fd.IsMap():
		out := map[string]any{}
		var err error
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			var e any
			if e, err = singularValue(fd.MapValue(), mv); err != nil {
				return false
			}
			key := fmt.Sprint(k.Interface())
			if !utf8.ValidString(key) {
				err = errNotPlain
				return false
			}
			out[key] = e
			return true
		})
		return out, err
	}
	return singularValue(fd, v)
}

func singularValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	switch {
	case !v.IsValid():
		return nil, nil
	case fd.Message() != nil:
		return messageValue(v.Message())
	case fd.Enum() != nil:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			return nil, nil
		}
		if vd := fd.Enum().Values().ByNumber(v.Enum()); vd != nil {
			return string(vd.Name()), nil
		}
		return int64(v.Enum()), nil
	}
	switch x := v.Interface().(type) {
	case bool:
		return x, nil
	case string:
		if !utf8.ValidString(x) {
			return nil, errNotPlain // encoding/json would replace the bytes
		}
		return x, nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case int32:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case int64, uint64:
		return fmt.Sprintf("%d", x), nil
	case float32, float64:
		f := v.Float()
		switch {
		case math.IsInf(f, 1):
			return "Infinity", nil
		case math.IsInf(f, -1):
			return "-Infinity", nil
		case math.IsNaN(f):
			return "NaN", nil
		}
		// encoding/json's shortest form, read back as decodeJSON reads it
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return decodeJSON(b)
	}
	return nil, errNotPlain
}

// durationValue is jsonpb's Duration: seconds with 0, 3, 6 or 9 fractional
// digits and an "s".
func durationValue(s, ns int64) (any, error) {
	const maxSeconds = 315576000000
	secondInNanos := int64(time.Second)
	switch {
	case s < -maxSeconds || s > maxSeconds:
		return nil, fmt.Errorf("seconds out of range %v", s)
	case ns <= -secondInNanos || ns >= secondInNanos:
		return nil, fmt.Errorf("ns out of range (%v, %v)", -secondInNanos, secondInNanos)
	case s > 0 && ns < 0 || s < 0 && ns > 0:
		return nil, errors.New("signs of seconds and nanos do not match")
	}
	sign := ""
	if s < 0 || ns < 0 {
		sign, s, ns = "-", -s, -ns
	}
	x := fmt.Sprintf("%s%d.%09d", sign, s, ns)
	x = strings.TrimSuffix(x, "000")
	x = strings.TrimSuffix(x, "000")
	x = strings.TrimSuffix(x, ".000")
	return x + "s", nil
}
