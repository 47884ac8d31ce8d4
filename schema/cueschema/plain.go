package cueschema

import (
	"encoding"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// A Tenant the fast path accepts is a plain value (maps, lists, strings,
// int64, float64, bools): writing it as JSON for encoding/json to read into
// the Go types took as long as accepting it. decodePlain fills the Go
// value directly, as encoding/json would from that JSON; whatever it does
// not handle the same way (a key that is not a field's exact name, a type
// with its own UnmarshalJSON, an interface) goes through JSON
// (TestDecodePlainIsJSON).

// errNotDirect says decodePlain does not take the value: decode it through
// JSON.
var errNotDirect = errors.New("not decoded directly")

// decodePlain fills out (a pointer) from v as json.Unmarshal does: fields
// that v does not name (the Origin) keep their values. On error out is as
// it was.
func decodePlain(v any, out any) error {
	target := reflect.ValueOf(out)
	if target.Kind() != reflect.Pointer || target.IsNil() {
		return errNotDirect
	}
	fresh := reflect.New(target.Type().Elem())
	fresh.Elem().Set(target.Elem())
	if err := fill(v, fresh.Elem()); err != nil {
		return err
	}
	target.Elem().Set(fresh.Elem())
	return nil
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// ownDecoding tells a type that decodes itself from JSON.
func ownDecoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType)
}

// fill sets out to v. A pointer, map or list that is set already would be
// decoded into by encoding/json: fill leaves that to it.
func fill(v any, out reflect.Value) error {
	if ownDecoding(out.Type()) {
		return fillViaJSON(v, out)
	}
	if k := out.Kind(); k == reflect.Interface || (k == reflect.Pointer || k == reflect.Map || k == reflect.Slice) && !out.IsNil() {
		return errNotDirect
	}
	if v == nil {
		return nil // null leaves a zero value as it is
	}
	switch out.Kind() {
	case reflect.Pointer:
		p := reflect.New(out.Type().Elem())
		if err := fill(v, p.Elem()); err != nil {
			return err
		}
		out.Set(p)
		return nil
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return errNotDirect
		}
		fields, ok := structFields(out.Type())
		if !ok {
			return errNotDirect
		}
		for k, e := range m {
			i, ok := fields[k]
			if !ok {
				return errNotDirect // encoding/json matches case-insensitively, or ignores it
			}
			if err := fill(e, out.Field(i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok || out.Type().Elem().Kind() == reflect.Uint8 {
			return errNotDirect
		}
		s := reflect.MakeSlice(out.Type(), len(l), len(l))
		for i, e := range l {
			if err := fill(e, s.Index(i)); err != nil {
				return err
			}
		}
		out.Set(s)
		return nil
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || out.Type().Key().Kind() != reflect.String || ownDecoding(out.Type().Key()) {
			return errNotDirect
		}
		r := reflect.MakeMapWithSize(out.Type(), len(m))
		for k, e := range m {
			if !utf8.ValidString(k) {
				return errNotDirect
			}
			ev := reflect.New(out.Type().Elem()).Elem()
			if err := fill(e, ev); err != nil {
				return err
			}
			r.SetMapIndex(reflect.ValueOf(k).Convert(out.Type().Key()), ev)
		}
		out.Set(r)
		return nil
	case reflect.String:
		s, ok := v.(string)
		if !ok || !utf8.ValidString(s) { // encoding/json would replace the bytes
			return errNotDirect
		}
		out.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return errNotDirect
		}
		out.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := v.(int64)
		if !ok || out.OverflowInt(i) {
			return errNotDirect
		}
		out.SetInt(i)
		return nil
	case reflect.Float64:
		switch n := v.(type) {
		case int64:
			if n > 1<<53 || n < -(1<<53) {
				return errNotDirect
			}
			out.SetFloat(float64(n))
			return nil
		case float64:
			if math.IsInf(n, 0) || math.IsNaN(n) {
				return errNotDirect
			}
			out.SetFloat(n)
			return nil
		}
	}
	return errNotDirect
}

// fillViaJSON is fill through encoding/json, for a type with its own
// UnmarshalJSON.
func fillViaJSON(v any, out reflect.Value) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out.Addr().Interface())
}

var structFieldsCache sync.Map // reflect.Type -> map[string]int, or nil when not plain

// structFields maps a struct's JSON names to its field indexes, or refuses a
// struct encoding/json reads in ways fill does not follow (embedded
// fields, the string option).
func structFields(t reflect.Type) (map[string]int, bool) {
	if f, ok := structFieldsCache.Load(t); ok {
		m := f.(map[string]int)
		return m, m != nil
	}
	fields := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || strings.Contains(","+opts+",", ",string,") {
			fields = nil
			break
		}
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, twice := fields[name]; twice {
			fields = nil // encoding/json's rules for a name two fields claim
			break
		}
		fields[name] = i
	}
	structFieldsCache.Store(t, fields)
	return fields, fields != nil
}
