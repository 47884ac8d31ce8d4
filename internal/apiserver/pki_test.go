package apiserver

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
)

// TestServingCertVerifiesFor127001: clients dial https://127.0.0.1, so the
// serving certificate must verify for that IP against the CA handed to them.
func TestServingCertVerifiesFor127001(t *testing.T) {
	c, err := writeCredentials(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(c.servingCert, c.servingKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(c.caPEM) {
		t.Fatal("no CA certificate in caPEM")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: roots}); err != nil {
		t.Errorf("serving certificate does not verify for 127.0.0.1: %v", err)
	}
	tokens, err := os.ReadFile(c.tokens)
	if err != nil {
		t.Fatal(err)
	}
	if want := c.adminToken + ",admin,admin,system:masters\n"; string(tokens) != want {
		t.Errorf("token file: got %q, want %q", tokens, want)
	}
	if !strings.HasPrefix(mustRead(t, c.serviceAccountKey), "-----BEGIN EC PRIVATE KEY-----") {
		t.Errorf("service account key is not a PEM EC private key")
	}
}

func mustRead(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
