package encode

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The other upstream types (Kubernetes, cert-manager, Gateway API) define
// their wire form with encoding/json: marshalling each object and reading
// the JSON back into maps was an eighth of a render's CPU. writeGoObject
// writes what that round trip gives, reading the Go values as it writes
// them with encoding/json's rules: JSON names, embedded structs inlined,
// omitempty and omitzero, MarshalJSON and MarshalText, nil as null, []byte
// as base64. What it is not sure to write the same (a field name two
// fields claim, ",string", floats, json.Number, strings that are not UTF-8,
// map keys that are not strings, MarshalJSON output encoding/json would
// refuse) it refuses with errNotPlain, and the object takes the round trip. TestDirectWritersArePlainWritten holds it to the round
// trip over every rendered object, and
// TestWrittenGoIsTheJSONRoundTripForRandomValues over randomly filled ones.

// writeGoObject writes o (a pointer to a struct) as writeValue writes
// Plain's value for it, or fails, errNotPlain among others, having written
// part of it.
func writeGoObject(b *bytes.Buffer, o any) error {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return errNotPlain
	}
	root, err := goValue(v.Elem())
	if err != nil {
		return err
	}
	if s, ok := root.(goStruct); ok && s.shapedAsWritten() {
		wrote, err := s.writeShaped(b)
		if err == nil && !wrote {
			b.WriteString("{}\n") // as writeValue writes an empty map
		}
		return err
	}
	var top map[string]any
	switch t := root.(type) {
	case goStruct:
		if top, err = t.mapping(); err != nil {
			return err
		}
	case map[string]any:
		top = t
	default:
		return errNotPlain
	}
	shape(top)
	return writeValue(b, top)
}

// shapedAsWritten tells whether shape's rules for an object can be
// applied as its entries are written (writeShaped), without building its
// map: its metadata is simple, its status a struct with nothing written,
// its spec a struct that is not a Vault issuer's.
func (s goStruct) shapedAsWritten() bool {
	for i := range s.fields {
		f := &s.fields[i]
		fv := s.v.FieldByIndex(f.index)
		if f.omitted(fv) {
			continue
		}
		switch f.name {
		case "kind":
			if !f.plainString {
				return false // writeShaped reads the kind only from a string
			}
		case "metadata":
			if _, simple := simpleMetaOf(fv); !simple {
				return false
			}
		case "status":
			if st, ok := structAt(fv); !ok || !st.empty() {
				return false
			}
		case "spec":
			if st, ok := structAt(fv); !ok || st.has("vault") {
				return false
			}
		}
	}
	return true
}

// writeShaped writes the object's entries as shape leaves them: no status
// (shapedAsWritten: it is empty), an empty spec only for an
// AuthorizationPolicy.
func (s goStruct) writeShaped(b *bytes.Buffer) (bool, error) {
	kind := ""
	if f, fv, ok := s.field("kind"); ok && f.plainString {
		kind = fv.String()
	}
	return s.writeFiltered(b, 0, func(name string, fv reflect.Value) bool {
		switch name {
		case "status":
			return false
		case "spec":
			st, _ := structAt(fv)
			return !specDropped(st, kind)
		}
		return true
	})
}

// goStruct is a Go struct the writer reads as it writes it, with its
// fields as encoding/json writes them.
type goStruct struct {
	v      reflect.Value
	fields []goField
}

// goField is a struct field as encoding/json writes it.
type goField struct {
	name      string
	index     []int
	omitEmpty bool
	omitZero  bool
	isZero    func(reflect.Value) bool // the type's IsZero, for omitzero
	// plainString is a string kind without a marshaler: most fields,
	// written without boxing the value
	plainString bool
}

// omitted tells whether encoding/json leaves the field out.
func (f *goField) omitted(v reflect.Value) bool {
	switch {
	case f.omitEmpty && emptyValue(v):
		return true
	case f.omitZero && f.isZero != nil:
		return f.isZero(v)
	case f.omitZero:
		return v.IsZero()
	}
	return false
}

// emptyValue is encoding/json's test for omitempty.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// writeEntries writes the struct's fields at column col, the first line's
// indentation being the caller's, as writeMap does, and tells whether there
// was any.
func (s goStruct) writeEntries(b *bytes.Buffer, col int) (bool, error) {
	return s.writeFiltered(b, col, nil)
}

// writeFiltered is writeEntries for the fields keep keeps (all for nil).
func (s goStruct) writeFiltered(b *bytes.Buffer, col int, keep func(name string, fv reflect.Value) bool) (bool, error) {
	first := true
	for i := range s.fields {
		f := &s.fields[i]
		fv := s.v.FieldByIndex(f.index)
		if f.omitted(fv) || keep != nil && !keep(f.name, fv) {
			continue
		}
		var err error
		if f.plainString {
			err = writeStringEntry(b, f.name, fv.String(), col, first)
		} else {
			err = writeGoEntry(b, f.name, fv, col, first)
		}
		if err != nil {
			return false, err
		}
		first = false
	}
	return !first, nil
}

func writeGoEntry(b *bytes.Buffer, key string, fv reflect.Value, col int, first bool) error {
	if s, ok := structAt(fv); ok {
		writeKey(b, key, col, first)
		return writeMappingChild(b, s, col)
	}
	if values, ok := goStringMap(fv); ok {
		return writeStringMapEntry(b, key, values, col, first)
	}
	if stringItems(fv) {
		writeKey(b, key, col, first)
		return writeStringItems(b, fv, col)
	}
	if fields, pointers, ok := structItems(fv); ok {
		writeKey(b, key, col, first)
		return writeMappingItems(b, fv.Len(), func(i int) goStruct {
			item := fv.Index(i)
			if pointers {
				item = item.Elem()
			}
			return goStruct{item, fields}
		}, col)
	}
	v, err := goValue(fv)
	if err != nil {
		return err
	}
	return writeEntry(b, key, v, col, first)
}

// empty tells whether every field is left out: the struct is written as {}.
func (s goStruct) empty() bool {
	for i := range s.fields {
		if !s.fields[i].omitted(s.v.FieldByIndex(s.fields[i].index)) {
			return false
		}
	}
	return true
}

// has tells whether the field named name is written.
func (s goStruct) has(name string) bool {
	f, fv, ok := s.field(name)
	return ok && !f.omitted(fv)
}

// field is the field named name and its value.
func (s goStruct) field(name string) (*goField, reflect.Value, bool) {
	i, found := slices.BinarySearchFunc(s.fields, name, func(f goField, name string) int { return strings.Compare(f.name, name) })
	if !found {
		return nil, reflect.Value{}, false
	}
	return &s.fields[i], s.v.FieldByIndex(s.fields[i].index), true
}

// mapping is the struct as a map of the values its fields are written
// from, for shape to adjust: its own structs stay unread.
func (s goStruct) mapping() (map[string]any, error) {
	m := make(map[string]any, len(s.fields))
	for i := range s.fields {
		f := &s.fields[i]
		fv := s.v.FieldByIndex(f.index)
		if f.omitted(fv) {
			continue
		}
		v, err := goValue(fv)
		if err != nil {
			return nil, err
		}
		m[f.name] = v
	}
	return m, nil
}

// goValue is v as the writer takes it: what encoding/json writes for it as
// decodeJSON reads it back, with structs (also in lists and maps) left to
// be read as they are written.
func goValue(v reflect.Value) (any, error) {
	if v, marshaled, err := marshaledValue(v); marshaled {
		return v, err
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return goValue(v.Elem())
	case reflect.Struct:
		if meta, ok := simpleMetaOf(v); ok {
			return meta, nil
		}
		fields, ok := goFields(v.Type())
		if !ok {
			return nil, errNotPlain
		}
		return goStruct{v, fields}, nil
	case reflect.String:
		if s := v.String(); utf8.ValidString(s) && v.Type() != jsonNumberType {
			return s, nil
		}
		return nil, errNotPlain // json.Number is written as a number
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := v.Uint(); u <= math.MaxInt64 {
			return int64(u), nil
		}
	case reflect.Map:
		return goMap(v)
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 && !marshals(reflect.PointerTo(v.Type().Elem())) {
			return base64.StdEncoding.EncodeToString(v.Bytes()), nil
		}
		return goList(v)
	case reflect.Array:
		return goList(v)
	}
	// floats (whose JSON may read back as an integer), uintptr, complex
	// numbers, channels, functions
	return nil, errNotPlain
}

// structAt is the struct goValue gives for v, unboxed, if it gives one.
func structAt(v reflect.Value) (goStruct, bool) {
	for {
		if m, ok := marshalerOf(v.Type(), v.CanAddr()); !ok || m != marshalsNot {
			return goStruct{}, false
		}
		if v.Kind() != reflect.Pointer {
			break
		}
		if v.IsNil() {
			return goStruct{}, false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || v.Type() == reflect.TypeFor[metav1.ObjectMeta]() {
		return goStruct{}, false
	}
	fields, ok := goFields(v.Type())
	return goStruct{v, fields}, ok
}

// stringItems tells whether v is a non-empty list of strings goValue
// gives as they are (no marshaler, no json.Number).
func stringItems(v reflect.Value) bool {
	if v.Kind() != reflect.Slice || v.Len() == 0 || v.Type().Elem().Kind() != reflect.String {
		return false
	}
	if m, ok := marshalerOf(v.Type(), v.CanAddr()); !ok || m != marshalsNot {
		return false
	}
	t := v.Type().Elem()
	m, ok := marshalerOf(t, true)
	return ok && m == marshalsNot && t != jsonNumberType
}

// structItems tells whether v is a non-empty list whose items goValue
// gives as structs (structAt), of one type, with its fields; pointers when
// the items are pointers to them.
func structItems(v reflect.Value) (fields []goField, pointers bool, ok bool) {
	if v.Kind() != reflect.Slice || v.Len() == 0 {
		return nil, false, false
	}
	if m, ok := marshalerOf(v.Type(), v.CanAddr()); !ok || m != marshalsNot {
		return nil, false, false
	}
	t := v.Type().Elem()
	if t.Kind() == reflect.Pointer {
		if m, ok := marshalerOf(t, true); !ok || m != marshalsNot {
			return nil, false, false
		}
		for i := range v.Len() {
			if v.Index(i).IsNil() {
				return nil, false, false
			}
		}
		t, pointers = t.Elem(), true
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[metav1.ObjectMeta]() {
		return nil, false, false
	}
	if m, ok := marshalerOf(t, true); !ok || m != marshalsNot {
		return nil, false, false
	}
	fields, ok = goFields(t)
	return fields, pointers, ok
}

// simpleMetaOf is v as simpleMeta when it is simple ObjectMeta: metadata of
// names, labels and annotations alone, what renders set.
func simpleMetaOf(v reflect.Value) (simpleMeta, bool) {
	if v.Type() != reflect.TypeFor[metav1.ObjectMeta]() || !v.CanAddr() {
		return simpleMeta{}, false
	}
	m := v.Addr().Interface().(*metav1.ObjectMeta)
	return simpleMeta{m}, isSimpleMetadata(m)
}

// goStringMap is v when it is a non-empty map[string]string (no type of
// its own, so no marshaler) of UTF-8 strings: written without a map of
// values.
func goStringMap(v reflect.Value) (map[string]string, bool) {
	if v.Type() != reflect.TypeFor[map[string]string]() || v.Len() == 0 || !v.CanInterface() {
		return nil, false
	}
	values := v.Interface().(map[string]string)
	return values, validStrings(values)
}

func goMap(v reflect.Value) (any, error) {
	if v.IsNil() {
		return nil, nil
	}
	if v.Type().Key().Kind() != reflect.String {
		return nil, errNotPlain // encoding/json's rules for other keys are its own
	}
	m := make(map[string]any, v.Len())
	for iter := v.MapRange(); iter.Next(); {
		k := iter.Key().String()
		if !utf8.ValidString(k) {
			return nil, errNotPlain
		}
		e, err := goValue(iter.Value())
		if err != nil {
			return nil, err
		}
		m[k] = e
	}
	return m, nil
}

func goList(v reflect.Value) (any, error) {
	l := make([]any, v.Len())
	for i := range l {
		var err error
		if l[i], err = goValue(v.Index(i)); err != nil {
			return nil, err
		}
	}
	return l, nil
}

var (
	jsonNumberType    = reflect.TypeFor[json.Number]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals tells whether t writes itself: encoding/json calls its
// MarshalJSON or MarshalText.
func marshals(t reflect.Type) bool {
	return t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType)
}

// marshaler is how encoding/json has a type write itself.
type marshaler uint8

const (
	marshalsNot      marshaler = iota
	marshalsJSON               // its MarshalJSON
	marshalsJSONAddr           // its pointer's MarshalJSON, when addressable
	marshalsText               // its MarshalText
	marshalsTextAddr           // its pointer's MarshalText, when addressable
)

var marshalers sync.Map // reflect.Type -> [2]marshaler, by addressability

// marshalerOf is how a value of type t writes itself, in encoding/json's
// order: MarshalJSON first, then MarshalText, a pointer receiver's only
// for an addressable value. ok is false for a pointer-receiver marshaler
// on a value that is not addressable (a map's): encoding/json then writes
// the fields, and the writer does not take it.
func marshalerOf(t reflect.Type, addressable bool) (m marshaler, ok bool) {
	cached, found := marshalers.Load(t)
	if !found {
		var byAddr [2]marshaler
		for i, addr := range []bool{false, true} {
			viaAddr := addr && t.Kind() != reflect.Pointer
			switch {
			case viaAddr && reflect.PointerTo(t).Implements(jsonMarshalerType):
				byAddr[i] = marshalsJSONAddr
			case t.Implements(jsonMarshalerType):
				byAddr[i] = marshalsJSON
			case viaAddr && reflect.PointerTo(t).Implements(textMarshalerType):
				byAddr[i] = marshalsTextAddr
			case t.Implements(textMarshalerType):
				byAddr[i] = marshalsText
			case t.Kind() != reflect.Pointer && marshals(reflect.PointerTo(t)):
				byAddr[i] = marshalerRefused
			}
		}
		cached, _ = marshalers.LoadOrStore(t, byAddr)
	}
	i := 0
	if addressable {
		i = 1
	}
	m = cached.([2]marshaler)[i]
	return m, m != marshalerRefused
}

// marshalerRefused marks a pointer-receiver marshaler out of reach.
const marshalerRefused marshaler = 255

// marshaledValue is v's value when its type writes itself (marshalerOf).
func marshaledValue(v reflect.Value) (value any, marshaled bool, err error) {
	t := v.Type()
	if (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) && v.IsNil() {
		return nil, false, nil // null, as goValue writes it
	}
	m, ok := marshalerOf(t, v.CanAddr())
	if !ok {
		return nil, true, errNotPlain
	}
	switch m {
	case marshalsJSON:
		return jsonMarshaled(v.Interface().(json.Marshaler))
	case marshalsJSONAddr:
		return jsonMarshaled(v.Addr().Interface().(json.Marshaler))
	case marshalsText:
		return textMarshaled(v.Interface().(encoding.TextMarshaler))
	case marshalsTextAddr:
		return textMarshaled(v.Addr().Interface().(encoding.TextMarshaler))
	}
	return nil, false, nil
}

func jsonMarshaled(m json.Marshaler) (any, bool, error) {
	b, err := m.MarshalJSON()
	if err != nil || !json.Valid(b) {
		return nil, true, errNotPlain // the round trip gives encoding/json's error
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, true, errNotPlain
	}
	return v, true, nil
}

func textMarshaled(m encoding.TextMarshaler) (any, bool, error) {
	b, err := m.MarshalText()
	if err != nil || !utf8.Valid(b) {
		return nil, true, errNotPlain
	}
	return string(b), true, nil
}

var goFieldCache sync.Map // reflect.Type -> []goField, or nil when refused

// goFields is t's fields as encoding/json writes them, sorted by JSON name
// as writeMap sorts keys; false when the writer does not take t.
func goFields(t reflect.Type) ([]goField, bool) {
	if cached, ok := goFieldCache.Load(t); ok {
		fields := cached.([]goField)
		return fields, fields != nil
	}
	fields, ok := collectFields(t, nil)
	if ok {
		slices.SortFunc(fields, func(a, b goField) int { return strings.Compare(a.name, b.name) })
		for i := 1; i < len(fields); i++ {
			if fields[i].name == fields[i-1].name {
				ok = false // encoding/json's dominance rules decide: not taken
			}
		}
	}
	if !ok {
		fields = nil
	} else if fields == nil {
		fields = []goField{}
	}
	goFieldCache.Store(t, fields)
	return fields, ok
}

// collectFields lists the fields of struct t, at index path within the
// written struct, embedded structs inlined; false for what goFields does
// not take.
func collectFields(t reflect.Type, path []int) ([]goField, bool) {
	var fields []goField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(slices.Clip(path), i)
		if sf.Anonymous && !sf.IsExported() && name != "" {
			return nil, false // encoding/json writes it under its name
		}
		if sf.Anonymous && name == "" {
			switch {
			case sf.Type.Kind() == reflect.Struct:
				inner, ok := collectFields(sf.Type, index)
				if !ok {
					return nil, false
				}
				fields = append(fields, inner...)
				continue
			case sf.Type.Kind() == reflect.Pointer:
				return nil, false // a nil embedded pointer hides its fields
			case !sf.IsExported():
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		} else if !simpleTagName(name) {
			return nil, false
		}
		f := goField{name: name, index: index}
		for opt := range strings.SplitSeq(opts, ",") {
			switch opt {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
				f.isZero = isZeroFunc(sf.Type)
			case "string":
				return nil, false
			}
		}
		f.plainString = sf.Type.Kind() == reflect.String && sf.Type != jsonNumberType && !marshals(sf.Type) && !marshals(reflect.PointerTo(sf.Type))
		fields = append(fields, f)
	}
	return fields, true
}

// simpleTagName is a JSON name encoding/json takes as it is (it has its own
// rules for the others).
func simpleTagName(name string) bool {
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

type isZeroer interface{ IsZero() bool }

var isZeroerType = reflect.TypeFor[isZeroer]()

// isZeroFunc is encoding/json's omitzero test for a field of type t that
// has an IsZero method; nil for reflect's IsZero.
func isZeroFunc(t reflect.Type) func(reflect.Value) bool {
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return func(v reflect.Value) bool {
			return v.IsNil() || (v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil()) || v.Interface().(isZeroer).IsZero()
		}
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return func(v reflect.Value) bool { return v.IsNil() || v.Interface().(isZeroer).IsZero() }
	case t.Implements(isZeroerType):
		return func(v reflect.Value) bool { return v.Interface().(isZeroer).IsZero() }
	case reflect.PointerTo(t).Implements(isZeroerType):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				c := reflect.New(v.Type()).Elem()
				c.Set(v)
				v = c
			}
			return v.Addr().Interface().(isZeroer).IsZero()
		}
	}
	return nil
}
