package rootfs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Bundle is the root CA bundle an image without one of its own gets.
type Bundle struct {
	// PEM holds one CERTIFICATE block per root, in the order of the
	// source bundle.
	PEM []byte
	// Roots is how many roots PEM holds.
	Roots int
	// Omitted names the subjects of the roots left out: those that carry
	// a constraint a PEM file cannot state (see CABundle).
	Omitted []string
}

// CABundle returns the Mozilla NSS roots as the Go team packages them in
// golang.org/x/crypto/x509roots/fallback/bundle (pinned by go.sum), as a
// PEM file of the kind /etc/ssl/certs/ca-certificates.crt is.
//
// Roots that come with a constraint (today a "distrust after" date: NSS
// stopped trusting certificates the root issues after that day) are left
// out: a PEM bundle cannot carry the constraint, so every reader of the
// file, Go's crypto/x509 included, would trust such a root without limit.
var CABundle = sync.OnceValues(func() (*Bundle, error) {
	b := &Bundle{}
	var buf bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			c, err := x509.ParseCertificate(r.Certificate)
			if err != nil {
				return nil, fmt.Errorf("parsing a constrained root of the CA bundle: %w", err)
			}
			b.Omitted = append(b.Omitted, c.Subject.String())
			continue
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}); err != nil {
			return nil, err
		}
		b.Roots++
	}
	if b.Roots == 0 {
		return nil, fmt.Errorf("the CA bundle has no roots")
	}
	b.PEM = buf.Bytes()
	return b, nil
})
