package apiserver

import (
	"slices"
	"testing"
)

// TestChangesNamesEveryChangedField: a re-apply's change is reported by
// field, resourceVersion aside (it always differs when anything does).
func TestChangesNamesEveryChangedField(t *testing.T) {
	before := map[string]any{
		"metadata": map[string]any{"resourceVersion": "1", "labels": map[string]any{"a": "x"}},
		"spec":     map[string]any{"port": int64(80), "hosts": []any{"a"}},
	}
	after := map[string]any{
		"metadata": map[string]any{"resourceVersion": "2", "labels": map[string]any{"a": "x", "b": "y"}},
		"spec":     map[string]any{"port": int64(80), "hosts": []any{"a", "b"}},
		"status":   map[string]any{"observedGeneration": int64(-1)},
	}
	got := changes(before, after, "")
	want := []string{
		`.metadata.labels.b: absent became "y"`,
		`.spec.hosts: ["a"] became ["a","b"]`,
		`.status: absent became {"observedGeneration":-1}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := changes(before, before, ""); len(got) != 0 {
		t.Errorf("an object compared with itself: got %q", got)
	}
}
