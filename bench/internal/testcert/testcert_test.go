package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// The test certificates load as a key pair and verify against their CA,
// for the name and for 127.0.0.1, in a real handshake with crypto/tls.
func TestMake(t *testing.T) {
	c, err := Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
	if err != nil {
		t.Fatalf("loading the key pair: %v", err)
	}
	if k, ok := pair.Leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Fatalf("server key is %T, want ECDSA P-256", pair.Leaf.PublicKey)
	}
	if name := pair.Leaf.PublicKeyAlgorithm.String(); name != "ECDSA" {
		t.Fatalf("public key algorithm %s, want ECDSA", name)
	}
	caPEM, err := os.ReadFile(c.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no certificate in the CA file")
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				io.WriteString(conn, "ok")
			}()
		}
	}()
	for _, name := range []string{c.Name, "127.0.0.1"} {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{RootCAs: pool, ServerName: name}}
		conn, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("handshake for %s: %v", name, err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(conn)
		conn.Close()
		if err != nil || string(b) != "ok" {
			t.Fatalf("reading from the server (%s): %q, %v", name, b, err)
		}
	}
	// Another name is refused.
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "example.com"}}
	if conn, err := d.Dial("tcp", ln.Addr().String()); err == nil {
		conn.Close()
		t.Fatal("a handshake for example.com succeeded")
	}
}
