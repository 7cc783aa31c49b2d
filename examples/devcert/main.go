// Command devcert writes a development certificate authority and a
// certificate it issued for localhost and 127.0.0.1, to serve any example
// over TLS:
//
//	go run ./examples/devcert                   # writes devcert/ca.pem, cert.pem, key.pem
//	go run ./examples/sse-clock -tls-cert devcert/cert.pem -tls-key devcert/key.pem
//	curl --cacert devcert/ca.pem -N -H 'Accept: text/event-stream' https://localhost:8081/
//
// A browser trusts the page once ca.pem is imported as an authority (or
// after clicking through its warning). The files are for development
// only: the key is not protected, and the CA lasts 30 days.
//
// Flags: -dir (default devcert), -names (default localhost,127.0.0.1).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/workerman-go/workerman/internal/devcert"
)

func main() {
	dir := flag.String("dir", "devcert", "`folder` to write ca.pem, cert.pem and key.pem in")
	names := flag.String("names", "localhost,127.0.0.1", "comma-separated DNS `names` and IP addresses of the server")
	flag.Parse()
	if err := run(*dir, strings.Split(*names, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "devcert:", err)
		os.Exit(1)
	}
}

func run(dir string, names []string) error {
	ca, err := devcert.NewCA(30 * 24 * time.Hour)
	if err != nil {
		return err
	}
	f, err := ca.WriteFiles(dir, names...)
	if err != nil {
		return err
	}
	fmt.Printf("CA certificate  %s (give it to clients: curl --cacert, NODE_EXTRA_CA_CERTS, a browser's authorities)\n", f.CA)
	fmt.Printf("certificate     %s (-tls-cert)\nkey             %s (-tls-key)\n", f.Cert, f.Key)
	return nil
}
