package connection_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/frame"
	"github.com/workerman-go/workerman/worker"
)

// An AsyncConn over TLS (Workerman's transport = 'ssl') to a frame://
// Worker over TLS: a message sent before the handshake ends is encrypted
// and written after it; large messages cross many records both ways; a
// reconnect makes a new handshake.
func TestAsyncConnTLS(t *testing.T) {
	ca := testutil.NewCA(t)
	w := worker.New("frame://127.0.0.1:0", frame.Protocol())
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "server")}}
	w.OnMessage = func(c *connection.Conn, msg []byte) { c.Send("echo:" + string(msg)) }
	addr := start(t, w)
	_, port, _ := strings.Cut(addr, ":")

	e := newAsyncEvents()
	ac := newAsync(t, "localhost:"+port, e, false)
	ac.TLSConfig = &tls.Config{RootCAs: ca.Pool()} // ServerName: the address's host
	ac.Connect()
	if err := ac.Send("early"); err != nil {
		t.Fatal(err)
	}
	testutil.Recv(t, e.connects, "OnConnect")
	if got := testutil.Recv(t, e.messages, "the early echo"); got != "echo:early" {
		t.Fatalf("got %q", got)
	}
	if st, ok := ac.TLS(); !ok || st.ServerName != "localhost" {
		t.Fatalf("TLS state %+v, %v", st, ok)
	}
	big := strings.Repeat("0123456789", 100000)
	if err := ac.Send(big); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, e.messages, "the big echo"); got != "echo:"+big {
		t.Fatalf("big echo: %d bytes", len(got))
	}
	ac.Reconnect(0)
	testutil.Recv(t, e.connects, "OnConnect again")
	if err := ac.Send("again"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, e.messages, "echo after the reconnect"); got != "echo:again" {
		t.Fatalf("got %q", got)
	}
}
