package schema

import (
	"fmt"
	"slices"
	"testing"
)

// TestChildIsSprint holds Child's segments to fmt.Sprint of each, for the
// types it writes itself and for others.
func TestChildIsSprint(t *testing.T) {
	for _, s := range []any{"spec", "", 0, 7, -1, 1 << 40, int64(3), uint8(4), SeverityError, 1.5, true, nil} {
		got := Path{"spec"}.Child(s)
		if want := (Path{"spec", fmt.Sprint(s)}); !slices.Equal(got, want) {
			t.Errorf("Child(%#v) = %q, want %q", s, got, want)
		}
	}
	parent := Path{"spec", "services"}
	if child := parent.Child(3, "ingress"); !slices.Equal(child, Path{"spec", "services", "3", "ingress"}) || len(parent) != 2 {
		t.Errorf("Child(3, \"ingress\") = %q and the parent %q", child, parent)
	}
}
