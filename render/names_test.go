package render

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	spec "github.com/meshwright/meshwright/schema"
)

func TestFitName(t *testing.T) {
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
			got := fitName(tc.in, tc.max)
			if len(got) > tc.max {
				t.Errorf("fitName(%q) = %q: %d characters, over %d", tc.in, got, len(got), tc.max)
			}
			if got != tc.want {
				t.Errorf("fitName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
				t.Errorf("fitName(%q) = %q is not a DNS label: %v", tc.in, got, errs)
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
	if fitName(a, 63) == fitName(b, 63) {
		t.Errorf("two long names fit to the same %q", fitName(a, 63))
	}
}

func TestDerivedNamesFitLabels(t *testing.T) {
	ns, name := strings.Repeat("n", 63), strings.Repeat("s", 63)
	long := spec.Service{Namespace: ns, Name: name}
	if got := credentialName(long) + caCertSuffix; len(got) > maxLabelValue {
		t.Errorf("client CA secret %q is longer than a label value", got)
	}
	if got := clientCredential(spec.Egress{Namespace: ns, Name: name}); len(got) > maxLabelValue {
		t.Errorf("client credential %q is longer than a label value", got)
	}
	if got := gatewayName(long); len(got) > maxLabelValue {
		t.Errorf("gateway name %q is longer than a DNS label", got)
	}
	if got := egressGatewayName(spec.Egress{Namespace: ns, Name: name}); len(got) > maxLabelValue {
		t.Errorf("egress gateway name %q is longer than a DNS label", got)
	}
	short := spec.Service{Namespace: "bookinfo", Name: "productpage"}
	if got := gatewayName(short); got != "productpage-gateway" {
		t.Errorf("short gateway name changed: %q", got)
	}
	if got := credentialName(short); got != "bookinfo-productpage-cert" {
		t.Errorf("short credential name changed: %q", got)
	}
}
