// Package testcert makes a test CA and a server certificate it signed
// (ECDSA P-256) at run time, for the TLS benchmark (compare tls) and the
// load generator's TLS tests. It is not for anything but loopback tests:
// the keys are written unencrypted and the certificates live a day.
package testcert

import (
	"time"

	"github.com/workerman-go/workerman/internal/devcert"
)

// Files are the paths Make wrote.
type Files struct {
	CA   string `json:"ca"`   // the CA's certificate (PEM): the clients' root
	Cert string `json:"cert"` // the server's certificate (PEM), the leaf alone
	Key  string `json:"key"`  // its private key (PEM, PKCS #8)
	// Name is the DNS name the server certificate holds (with 127.0.0.1
	// and ::1 as IP addresses).
	Name string `json:"name"`
}

// Name is the DNS name of the server certificates Make writes.
const Name = "localhost"

// Make writes a new CA (ECDSA P-256, valid for a day) and a server
// certificate it issued for Name, 127.0.0.1 and ::1, with its key, in dir
// (package internal/devcert of the framework, which the examples use too).
func Make(dir string) (Files, error) {
	ca, err := devcert.NewCA(24 * time.Hour)
	if err != nil {
		return Files{}, err
	}
	f, err := ca.WriteFiles(dir, Name, "127.0.0.1", "::1")
	if err != nil {
		return Files{}, err
	}
	return Files{CA: f.CA, Cert: f.Cert, Key: f.Key, Name: Name}, nil
}
