package testenv

import (
	"crypto/tls"
	"crypto/x509"
	stdb64 "encoding/base64"
	"os"
	"testing"
)

// TLSConfig trusts the CA in caFile.
func TLSConfig(t testing.TB, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", caFile)
	}
	return &tls.Config{RootCAs: pool}
}

func base64(s string) string { return stdb64.StdEncoding.EncodeToString([]byte(s)) }
