package encode

import (
	"bytes"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoimpl"
)

// Reading a message through protoreflect converts every field it is asked
// about (Has, Get, lists and messages wrapped as values): a fifth of a
// render's CPU went to that. A generated message is a Go struct whose
// fields carry their field numbers, so the writer reads the struct itself
// (protoStruct), following a plan made once per type: which Go field holds
// which protobuf field, in the order of their JSON names. Maps, the
// well-known types and any type a plan does not cover are read through
// protoreflect as before (message, messageValue).
// TestWrittenStructIsWrittenMessage holds it to the protoreflect writer
// over randomly filled messages, TestDirectWritersArePlainWritten to
// jsonpb's JSON over the corpus.

// protoStruct is a generated message the writer reads through its Go
// struct (addressable).
type protoStruct struct {
	v    reflect.Value
	plan *protoPlan
}

// protoPlan is how a generated message type is read: its fields in the
// order of their JSON names.
type protoPlan struct {
	fields []protoField
}

// protoField is a protobuf field and the Go field that holds it.
type protoField struct {
	name  string
	fd    protoreflect.FieldDescriptor
	index int       // the Go field; for a oneof's member, the oneof's interface
	kind  fieldKind // how the Go field holds it
}

type fieldKind uint8

const (
	stringField  fieldKind = iota // a string, populated when not empty
	scalarField                   // any other scalar, populated when not zero
	pointerField                  // a scalar with presence, or a message: populated when not nil
	listField                     // populated when not empty
	mapField                      // populated when not empty, read through protoreflect
	oneofField                    // populated when the oneof holds this member
)

var protoPlans sync.Map // reflect.Type -> *protoPlan, nil when not planned

// writtenProto is m as the writer takes it: read through its Go struct
// when its type has a plan, through protoreflect otherwise (writtenMessage).
func writtenProto(m proto.Message) (any, error) {
	v := reflect.ValueOf(m)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		if plan := planOf(v.Type().Elem(), m); plan != nil {
			return protoStruct{v.Elem(), plan}, nil
		}
	}
	return writtenMessage(m.ProtoReflect())
}

// planOf is the plan of the generated message type t (of which m is one),
// or nil: for the well-known types, messages with their own JSON, and
// structs that do not hold their fields as generated code does.
func planOf(t reflect.Type, m proto.Message) *protoPlan {
	if cached, ok := protoPlans.Load(t); ok {
		return cached.(*protoPlan)
	}
	var plan *protoPlan
	if _, special, _ := specialValue(m.ProtoReflect()); !special {
		plan = newPlan(t, m.ProtoReflect().Descriptor())
	}
	protoPlans.Store(t, plan)
	return plan
}

// newPlan maps each field of md to the Go field of t that holds it, or
// gives nil when one does not map as generated code holds it.
func newPlan(t reflect.Type, md protoreflect.MessageDescriptor) *protoPlan {
	if t.Kind() != reflect.Struct || t.NumField() == 0 || t.Field(0).Type != reflect.TypeFor[protoimpl.MessageState]() {
		return nil // not generated code (dynamicpb holds every descriptor in one type)
	}
	fds := md.Fields()
	plan := &protoPlan{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if oneof := sf.Tag.Get("protobuf_oneof"); oneof != "" {
			od := md.Oneofs().ByName(protoreflect.Name(oneof))
			if od == nil || sf.Type.Kind() != reflect.Interface {
				return nil
			}
			for j := range od.Fields().Len() {
				fd := od.Fields().Get(j)
				plan.fields = append(plan.fields, protoField{name: fd.JSONName(), fd: fd, index: i, kind: oneofField})
			}
			continue
		}
		tag := sf.Tag.Get("protobuf")
		if tag == "" {
			continue
		}
		parts := strings.Split(tag, ",")
		if len(parts) < 2 {
			return nil
		}
		number, err := strconv.Atoi(parts[1])
		if err != nil {
			return nil
		}
		fd := fds.ByNumber(protoreflect.FieldNumber(number))
		if fd == nil || fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic() {
			return nil
		}
		kind, ok := kindOf(fd, sf.Type)
		if !ok {
			return nil
		}
		plan.fields = append(plan.fields, protoField{name: fd.JSONName(), fd: fd, index: i, kind: kind})
	}
	if len(plan.fields) != fds.Len() {
		return nil
	}
	slices.SortFunc(plan.fields, func(a, b protoField) int { return strings.Compare(a.name, b.name) })
	return plan
}

// kindOf is how a Go field of type t holds fd, as generated code holds it.
func kindOf(fd protoreflect.FieldDescriptor, t reflect.Type) (fieldKind, bool) {
	switch {
	case fd.IsMap():
		return mapField, t.Kind() == reflect.Map
	case fd.IsList():
		return listField, t.Kind() == reflect.Slice && (fd.Kind() != protoreflect.BytesKind || t.Elem().Kind() == reflect.Slice)
	case fd.Message() != nil, fd.HasPresence():
		return pointerField, t.Kind() == reflect.Pointer
	case fd.Kind() == protoreflect.StringKind:
		return stringField, t.Kind() == reflect.String
	case fd.Kind() == protoreflect.BytesKind:
		return scalarField, t.Kind() == reflect.Slice
	}
	return scalarField, t.Kind() != reflect.Pointer && t.Kind() != reflect.Slice && t.Kind() != reflect.Map
}

func (s protoStruct) writeEntries(b *bytes.Buffer, col int) (bool, error) {
	first := true
	for i := range s.plan.fields {
		f := &s.plan.fields[i]
		fv := s.v.Field(f.index)
		var err error
		if f.kind == stringField {
			if fv.Len() == 0 {
				continue
			}
			err = writeStringEntry(b, f.name, fv.String(), col, first)
		} else if child, ok := childStruct(f, fv); ok {
			writeKey(b, f.name, col, first)
			err = writeMappingChild(b, child, col)
		} else if values, ok := stringMap(f, fv); ok {
			err = writeStringMapEntry(b, f.name, values, col, first)
		} else if f.kind == listField && f.fd.Kind() == protoreflect.StringKind && fv.Len() > 0 {
			writeKey(b, f.name, col, first)
			err = writeStringItems(b, fv, col)
		} else if plan, ok := itemStructs(f, fv); ok {
			writeKey(b, f.name, col, first)
			err = writeMappingItems(b, fv.Len(), func(i int) protoStruct { return protoStruct{fv.Index(i).Elem(), plan} }, col)
		} else {
			var v any
			var populated bool
			if v, populated, err = s.value(f, fv); err == nil && !populated {
				continue
			}
			if err == nil {
				err = writeEntry(b, f.name, v, col, first)
			}
		}
		if err != nil {
			return false, err
		}
		first = false
	}
	return !first, nil
}

// childStruct is a populated message field read through its struct, when
// its type has a plan: written unboxed.
func childStruct(f *protoField, fv reflect.Value) (protoStruct, bool) {
	if f.kind != pointerField || f.fd.Message() == nil || fv.IsNil() {
		return protoStruct{}, false
	}
	m, ok := fv.Interface().(proto.Message)
	if !ok {
		return protoStruct{}, false
	}
	plan := planOf(fv.Type().Elem(), m)
	return protoStruct{fv.Elem(), plan}, plan != nil
}

// stringMap is a populated map of strings to strings, all UTF-8 (jsonpb
// refuses other bytes: such a map is read through protoreflect, which says
// so): written without a map of values or protoreflect's wrapping.
func stringMap(f *protoField, fv reflect.Value) (map[string]string, bool) {
	if f.kind != mapField || f.fd.MapKey().Kind() != protoreflect.StringKind || f.fd.MapValue().Kind() != protoreflect.StringKind || fv.Len() == 0 {
		return nil, false
	}
	values, ok := fv.Interface().(map[string]string)
	return values, ok && validStrings(values)
}

// itemStructs is the plan of a populated list of messages that all read
// through their structs: written unboxed.
func itemStructs(f *protoField, fv reflect.Value) (*protoPlan, bool) {
	if f.kind != listField || f.fd.Message() == nil || fv.Len() == 0 {
		return nil, false
	}
	for i := range fv.Len() {
		if fv.Index(i).IsNil() {
			return nil, false
		}
	}
	m, ok := fv.Index(0).Interface().(proto.Message)
	if !ok {
		return nil, false
	}
	plan := planOf(fv.Type().Elem().Elem(), m)
	return plan, plan != nil
}

func (s protoStruct) empty() bool {
	for i := range s.plan.fields {
		f := &s.plan.fields[i]
		if populated(f, s.v.Field(f.index)) {
			return false
		}
	}
	return true
}

// populated is protoreflect's Has for a field read from its Go field fv.
func populated(f *protoField, fv reflect.Value) bool {
	switch f.kind {
	case stringField, listField, mapField:
		return fv.Len() > 0
	case pointerField:
		return !fv.IsNil()
	case oneofField:
		member, ok := oneofMember(fv)
		return ok && member == f.fd.Number()
	}
	switch fv.Kind() {
	case reflect.Bool:
		return fv.Bool()
	case reflect.Int32, reflect.Int64:
		return fv.Int() != 0
	case reflect.Uint32, reflect.Uint64:
		return fv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(fv.Float()) != 0
	case reflect.Slice:
		return fv.Len() > 0
	}
	return true
}

// value is the field's value as the writer takes it, and whether it is
// populated.
func (s protoStruct) value(f *protoField, fv reflect.Value) (any, bool, error) {
	if !populated(f, fv) {
		return nil, false, nil
	}
	var v any
	var err error
	switch f.kind {
	case mapField:
		m := s.v.Addr().Interface().(proto.Message).ProtoReflect()
		v, err = fieldValue(f.fd, m.Get(f.fd))
	case listField:
		l := make([]any, fv.Len())
		for i := range l {
			if l[i], err = singularGo(f.fd, fv.Index(i)); err != nil {
				break
			}
		}
		v = l
	case oneofField:
		v, err = singularGo(f.fd, fv.Elem().Elem().Field(0))
	case pointerField:
		if f.fd.Message() != nil {
			v, err = singularGo(f.fd, fv)
		} else {
			v, err = singularGo(f.fd, fv.Elem())
		}
	default:
		v, err = singularGo(f.fd, fv)
	}
	return v, true, err
}

// singularGo is one value of fd held in the Go value v, as writtenField
// gives it: a message (a pointer) as it is written, a scalar as jsonpb
// writes it (singularValue).
func singularGo(fd protoreflect.FieldDescriptor, v reflect.Value) (any, error) {
	if fd.Message() != nil {
		if v.IsNil() {
			return nil, errNotPlain
		}
		m, ok := v.Interface().(proto.Message)
		if !ok {
			return nil, errNotPlain
		}
		return writtenProto(m)
	}
	var pv protoreflect.Value
	switch fd.Kind() {
	case protoreflect.StringKind:
		if s := v.String(); utf8.ValidString(s) {
			return s, nil
		}
		return nil, errNotPlain
	case protoreflect.BoolKind:
		pv = protoreflect.ValueOfBool(v.Bool())
	case protoreflect.EnumKind:
		pv = protoreflect.ValueOfEnum(protoreflect.EnumNumber(v.Int()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		pv = protoreflect.ValueOfInt32(int32(v.Int()))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		pv = protoreflect.ValueOfInt64(v.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		pv = protoreflect.ValueOfUint32(uint32(v.Uint()))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		pv = protoreflect.ValueOfUint64(v.Uint())
	case protoreflect.FloatKind:
		pv = protoreflect.ValueOfFloat32(float32(v.Float()))
	case protoreflect.DoubleKind:
		pv = protoreflect.ValueOfFloat64(v.Float())
	case protoreflect.BytesKind:
		pv = protoreflect.ValueOfBytes(v.Bytes())
	default:
		return nil, errNotPlain
	}
	return singularValue(fd, pv)
}

var oneofMembers sync.Map // reflect.Type of a oneof wrapper -> protoreflect.FieldNumber

// oneofMember is the number of the field a oneof's interface holds, from
// its wrapper's protobuf tag.
func oneofMember(iface reflect.Value) (protoreflect.FieldNumber, bool) {
	if iface.IsNil() {
		return 0, false
	}
	w := iface.Elem()
	if w.Kind() == reflect.Pointer && w.IsNil() {
		return 0, false
	}
	if cached, ok := oneofMembers.Load(w.Type()); ok {
		n := cached.(protoreflect.FieldNumber)
		return n, n != 0
	}
	var n protoreflect.FieldNumber
	if w.Kind() == reflect.Pointer && w.Type().Elem().Kind() == reflect.Struct && w.Type().Elem().NumField() == 1 {
		parts := strings.Split(w.Type().Elem().Field(0).Tag.Get("protobuf"), ",")
		if len(parts) > 1 {
			if number, err := strconv.Atoi(parts[1]); err == nil {
				n = protoreflect.FieldNumber(number)
			}
		}
	}
	oneofMembers.Store(w.Type(), n)
	return n, n != 0
}
