package cueschema

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

type plainTarget struct {
	Name     string            `json:"name"`
	Count    int32             `json:"count,omitempty"`
	Ratio    float64           `json:"ratio"`
	On       bool              `json:"on"`
	Ptr      *plainInner       `json:"ptr"`
	List     []plainInner      `json:"list"`
	Labels   map[string]string `json:"labels"`
	Skipped  string            `json:"-"`
	Dash     string            `json:"-,"`
	Untagged string
	Wait     jsonDuration `json:"wait"`
	Any      any          `json:"any"`
	hidden   string
}

type plainInner struct {
	Value string `json:"value"`
}

// jsonDuration decodes itself, as schema.Duration does.
type jsonDuration struct{ time.Duration }

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	var err error
	d.Duration, err = time.ParseDuration(s)
	return err
}

type embedding struct {
	plainInner
	Other string `json:"other"`
}

// TestDecodePlain holds decodePlain to json.Unmarshal of v's JSON where it
// decodes directly, and checks what it leaves to JSON.
func TestDecodePlain(t *testing.T) {
	for _, tt := range []struct {
		name   string
		v      any
		direct bool
	}{
		{"every kind", map[string]any{
			"name": "a", "count": int64(7), "ratio": 0.5, "on": true,
			"ptr":    map[string]any{"value": "p"},
			"list":   []any{map[string]any{"value": "x"}, map[string]any{}},
			"labels": map[string]any{"k": "v"}, "-": "dash", "Untagged": "u", "wait": "1m30s",
		}, true},
		{"nulls", map[string]any{"name": nil, "ptr": nil, "list": nil, "labels": nil}, true},
		{"empty list and map stay non-nil", map[string]any{"list": []any{}, "labels": map[string]any{}}, true},
		{"an integer into a float", map[string]any{"ratio": int64(3)}, true},
		{"a key in another case", map[string]any{"Name": "a"}, false},
		{"an unknown key", map[string]any{"nope": "a"}, false},
		{"a number out of range", map[string]any{"count": int64(1) << 40}, false},
		{"a string for a number", map[string]any{"count": "7"}, false},
		{"a number for a string", map[string]any{"name": int64(7)}, false},
		{"a bad duration", map[string]any{"wait": "soon"}, false},
		{"a string that is not UTF-8", map[string]any{"name": "a\xff"}, false},
		{"a map key that is not UTF-8", map[string]any{"labels": map[string]any{"k\xff": "v"}}, false},
		{"an interface", map[string]any{"any": nil}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := plainTarget{Skipped: "kept", hidden: "kept"}
			err := decodePlain(tt.v, &got)
			if (err == nil) != tt.direct {
				t.Fatalf("decodePlain: %v, want direct %v", err, tt.direct)
			}
			if err != nil {
				if !reflect.DeepEqual(got, plainTarget{Skipped: "kept", hidden: "kept"}) {
					t.Errorf("a refused value changed the target: %+v", got)
				}
				return
			}
			want := plainTarget{Skipped: "kept", hidden: "kept"}
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
	var e embedding
	if err := decodePlain(map[string]any{"value": "v"}, &e); !errors.Is(err, errNotDirect) {
		t.Errorf("an embedded struct: %v, want it left to JSON", err)
	}
	var twice struct {
		X string
		Y string `json:"X"`
	}
	if err := decodePlain(map[string]any{"X": "v"}, &twice); !errors.Is(err, errNotDirect) {
		t.Errorf("two fields of one name: %v, want it left to JSON", err)
	}
}
