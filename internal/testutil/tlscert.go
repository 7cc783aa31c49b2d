package testutil

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/workerman-go/workerman/internal/devcert"
)

// CA is a certificate authority made for one test: the tests' TLS servers
// present certificates it issued, and their clients trust it alone.
type CA struct{ ca *devcert.CA }

// NewCA makes a CA valid for a day.
func NewCA(t testing.TB) *CA {
	t.Helper()
	ca, err := devcert.NewCA(24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{ca}
}

// Pool is a pool holding the CA alone, for a client's RootCAs.
func (ca *CA) Pool() *x509.CertPool { return ca.ca.Pool() }

// Issue makes a server certificate for names (default "localhost" and
// 127.0.0.1), with commonName as its subject.
func (ca *CA) Issue(t testing.TB, commonName string, names ...string) tls.Certificate {
	t.Helper()
	c, err := ca.ca.Issue(commonName, names...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// WriteFiles writes the CA's certificate and a certificate it issues for
// names, with its key, as PEM files in dir (for curl --cacert, Node's
// NODE_EXTRA_CA_CERTS, a server's -tls-cert and -tls-key).
func (ca *CA) WriteFiles(t testing.TB, dir string, names ...string) (caFile, certFile, keyFile string) {
	t.Helper()
	f, err := ca.ca.WriteFiles(dir, names...)
	if err != nil {
		t.Fatal(err)
	}
	return f.CA, f.Cert, f.Key
}
