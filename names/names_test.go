package names

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestFit(t *testing.T) {
	long := strings.Repeat("a", 40) + "-" + strings.Repeat("b", 40)
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short names stay", "web-cert", 63, "web-cert"},
		{"exactly max stays", strings.Repeat("x", 63), 63, strings.Repeat("x", 63)},
		{"long names are cut and end in a hash of the whole name", long, 63, long[:54] + "-" + sha(long)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Fit(tc.in, tc.max)
			if len(got) > tc.max {
				t.Errorf("Fit(%q) = %q: %d characters, over %d", tc.in, got, len(got), tc.max)
			}
			if got != tc.want {
				t.Errorf("Fit(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
				t.Errorf("Fit(%q) = %q is not a DNS label: %v", tc.in, got, errs)
			}
		})
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

func TestFitKeepsLongNamesApart(t *testing.T) {
	a := strings.Repeat("n", 63) + "-first"
	b := strings.Repeat("n", 63) + "-second"
	if Fit(a, 63) == Fit(b, 63) {
		t.Errorf("two long names fit to the same %q", Fit(a, 63))
	}
	if Fit(a, 63) != Fit(a, 63) {
		t.Error("Fit is not deterministic")
	}
}

func TestDerivedNamesFitLabels(t *testing.T) {
	ns, svc := strings.Repeat("n", 63), strings.Repeat("s", 63)
	if got := CredentialName(ns, svc) + CACertSuffix; len(got) > MaxLabelValue {
		t.Errorf("client CA secret %q is longer than a label value", got)
	}
	if got := ClientCredential(ns, svc); len(got) > MaxLabelValue {
		t.Errorf("client credential %q is longer than a label value", got)
	}
	if got := GatewayName(svc, "gateway"); len(got) > MaxLabelValue {
		t.Errorf("gateway name %q is longer than a DNS label", got)
	}
	if got := GatewayName("productpage", "gateway"); got != "productpage-gateway" {
		t.Errorf("short gateway name changed: %q", got)
	}
	if got := CredentialName("bookinfo", "productpage"); got != "bookinfo-productpage-cert" {
		t.Errorf("short credential name changed: %q", got)
	}
}
