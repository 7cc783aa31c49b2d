package testcert_test

import (
	"crypto/tls"
	"fmt"
	"os"

	"github.com/workerman-go/workerman/bench/internal/testcert"
)

// A server loads the key pair; clients trust the CA file and ask for
// testcert.Name.
func ExampleMake() {
	dir, err := os.MkdirTemp("", "certs-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	f, err := testcert.Make(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pair.Leaf.DNSNames, pair.Leaf.PublicKeyAlgorithm)
	// Output: [localhost] ECDSA
}
