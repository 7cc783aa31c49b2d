package websocket_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

// Node's fetch and the ws package, trusting the test's CA, against one TLS
// port of an http Worker: an https page, and a wss WebSocket with
// permessage-deflate.
func TestInteropNodeOverTLS(t *testing.T) {
	node, dir := interopNode(t)
	ca := testutil.NewCA(t)
	caFile, _, _ := ca.WriteFiles(t, t.TempDir())
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "server")}}
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch r.Path {
		case "/page":
			c.Send("page over TLS")
		case "/ws":
			_ = websocket.Upgrade(c, r, websocket.Options{Deflate: &websocket.DeflateConfig{}},
				func(c *connection.Conn, m websocket.Message) { c.Send(m) })
		default:
			c.Send(http.NewResponse(404, "no"))
		}
	}
	addr := testutil.Start(t, w)
	_, port, _ := strings.Cut(addr, ":")

	ctx, cancel := context.WithTimeout(context.Background(), nodeRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "tls.mjs", "https://localhost:"+port)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	stdin, err := cmd.StdinPipe() // the script exits when it closes
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(testutil.Timeout):
		cancel()
		err = <-done
	}
	stdin.Close()
	if err != nil {
		t.Fatalf("node: %v\n%s%s", err, out.String(), stderr.String())
	}
	got := map[string]nodeLine{}
	for line := range strings.Lines(out.String()) {
		var l nodeLine
		if json.Unmarshal([]byte(line), &l) != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		got[l.Case] = l
	}
	if e, ok := got["error"]; ok {
		t.Fatalf("node: %s\n%s", e.Error, stderr.String())
	}
	if f := got["fetch"]; f.Code != 200 || f.Data != "page over TLS" {
		t.Fatalf("fetch: %+v", f)
	}
	if ws := got["wss"]; !ws.OK || !strings.Contains(ws.Extensions, "permessage-deflate") {
		t.Fatalf("wss: %+v (want the echo, with permessage-deflate)", ws)
	}
	if c := got["wss-close"]; c.Code != 1000 {
		t.Fatalf("wss close: %+v", c)
	}
}

// The project's own client over wss://: websocket.Dial verifies the
// server against the given roots, for the URL's host, with
// permessage-deflate; a client that does not trust the server's CA is
// told why through OnError.
func TestDialWSS(t *testing.T) {
	ca := testutil.NewCA(t)
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{Deflate: &websocket.DeflateConfig{}}))
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "server")}}
	w.OnMessage = func(c *connection.Conn, m websocket.Message) { c.Send(m) }
	addr := testutil.Start(t, w)
	_, port, _ := strings.Cut(addr, ":")
	url := "wss://localhost:" + port + "/"

	c := dialInterop(t, url, websocket.ClientOptions{TLSConfig: &tls.Config{RootCAs: ca.Pool()}, Deflate: &websocket.DeflateConfig{}})
	big := prose(200000)
	c.send(big)
	c.expect(websocket.OpBinary, big)
	c.send("small")
	c.expect(websocket.OpText, []byte("small"))

	// Another CA: the handshake fails, and says so.
	ac, err := websocket.Dial(url, websocket.ClientOptions{TLSConfig: &tls.Config{RootCAs: testutil.NewCA(t).Pool()}})
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	ac.OnError = func(_ *connection.Conn, err error) {
		select {
		case failed <- err:
		default:
		}
	}
	ac.Connect()
	t.Cleanup(ac.Destroy)
	err = testutil.Recv(t, failed, "the handshake's failure")
	var te *connection.TLSError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want a *connection.TLSError about the certificate", err)
	}
}
