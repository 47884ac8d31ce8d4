package encode

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// reference decodes as encoding/json does with UseNumber, numbers then
// turned into int64 when integral and float64 otherwise: what decodeJSON
// must equal.
func reference(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return referenceNumbers(v), nil
}

func referenceNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = referenceNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = referenceNumbers(x)
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

var jsonCases = []string{
	`{}`, `[]`, `{"a":[]}`, `{"a":{}}`, `[1,-2,3.5,1e3,-0.25E-2,9223372036854775807,9223372036854775808]`,
	`{"s":"plain","e":"quote \" backslash \\ slash \/ \b\f\n\r\t","u":"\u00e9\u65e5\ud83d\ude00","lone":"\ud800x"}`,
	`{"t":true,"f":false,"n":null,"nested":{"l":[{"k":[[]]}]}}`,
	` { "spaced" : [ 1 , 2 ] } `, `{"<>&":"\u003c\u003e\u0026"}`, `"just a string"`, `42`,
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		t.Run(c, func(t *testing.T) { assertSameDecode(t, []byte(c)) })
	}
}

func TestDecodeJSONRefusesBadJSON(t *testing.T) {
	for _, c := range []string{``, `{`, `[1,`, `{"a" 1}`, `{"a":1,}`, `"unterminated`, `"bad \q escape"`, `tru`, `{"a":1} x`, `"\u12"`, `[1 2]`} {
		if _, err := decodeJSON([]byte(c)); err == nil {
			t.Errorf("decodeJSON(%q) accepted it", c)
		}
	}
}

// TestDecodeJSONOnObjects compares the two decoders on the JSON of every
// object of every example and golden case.
func TestDecodeJSONOnObjects(t *testing.T) {
	for _, o := range exampleObjects(t) {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		assertSameDecode(t, b)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		assertSameDecode(t, data)
	})
}

func assertSameDecode(t *testing.T, data []byte) {
	t.Helper()
	want, err := reference(data)
	if err != nil {
		t.Fatalf("reference decoder: %v", err)
	}
	got, err := decodeJSON(data)
	if err != nil {
		t.Fatalf("decodeJSON(%s): %v", data, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeJSON(%s)\n got %#v\nwant %#v", data, got, want)
	}
}
