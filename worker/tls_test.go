package worker

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/text"
)

func startTLS[M any](t *testing.T, w *Worker[M]) string {
	t.Helper()
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		defer cancel()
		_ = w.Stop(ctx)
	})
	return w.Addr()
}

// An https Worker answers Go's net/http client, page and event stream, and
// reports what was negotiated.
func TestTLSHTTPSPageAndEventStream(t *testing.T) {
	ca := testutil.NewCA(t)
	w := New("http://127.0.0.1:0", http.Protocol())
	w.Count = 2
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "server")}}
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.AcceptsEventStream() {
			st, err := sse.Start(c, r, sse.Options{})
			if err == nil {
				for i := range 3 {
					_ = st.Send(sse.Event{Data: strings.Repeat("x", (i+1)*20000)})
				}
			}
			return
		}
		st, ok := c.TLS()
		if !ok {
			c.Send("no TLS state")
			return
		}
		c.Send(st.NegotiatedProtocol + " " + tls.VersionName(st.Version) + " " + string(r.Body))
	}
	addr := startTLS(t, w)
	client := &nethttp.Client{Timeout: testutil.Timeout, Transport: &nethttp.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, ForceAttemptHTTP2: false,
	}}
	defer client.CloseIdleConnections()
	for _, body := range []string{"one", strings.Repeat("big", 30000)} {
		resp, err := client.Post("https://"+addr+"/", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := " TLS 1.3 " + body; string(b) != want { // this client offers no ALPN
			t.Fatalf("answer %.60q, want %.60q", b, want)
		}
	}
	// ALPN: the http protocol offers h2, then http/1.1.
	for _, tc := range []struct {
		offer []string
		want  string
	}{{[]string{"h2", "http/1.1"}, "h2"}, {[]string{"http/1.1"}, "http/1.1"}} {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", NextProtos: tc.offer})
		if err != nil {
			t.Fatal(err)
		}
		if p := c.ConnectionState().NegotiatedProtocol; p != tc.want {
			t.Fatalf("offering %q, ALPN chose %q, want %q", tc.offer, p, tc.want)
		}
		c.Close()
	}
	req, _ := nethttp.NewRequest("GET", "https://"+addr+"/", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := sse.NewDecoder(resp.Body, nil)
	for i := range 3 {
		e, err := dec.Next()
		if err != nil || len(e.Data) != (i+1)*20000 {
			t.Fatalf("event %d: %d bytes, %v", i, len(e.Data), err)
		}
	}
}

// TLS works for any protocol: a text:// Worker over TLS 1.2 and 1.3.
func TestTLSTextWorker(t *testing.T) {
	ca := testutil.NewCA(t)
	w := New("text://127.0.0.1:0", text.Protocol())
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "server")}}
	w.OnMessage = func(c *connection.Conn, line string) { c.Send("echo:" + line) }
	addr := startTLS(t, w)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MaxVersion: v})
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
		r := bufio.NewReader(c)
		for _, line := range []string{"a", "bb", strings.Repeat("c", 100000)} {
			if _, err := io.WriteString(c, line+"\n"); err != nil {
				t.Fatal(err)
			}
			got, err := r.ReadString('\n')
			if err != nil || got != "echo:"+line+"\n" {
				t.Fatalf("%s: got %.40q, %v", tls.VersionName(v), got, err)
			}
		}
		c.Close()
	}
}

// Plain HTTP sent to a TLS port is answered 400 in plain text, as net/http
// does; a client that stops halfway through its handshake is disconnected
// after HandshakeTimeout; garbage is disconnected.
func TestTLSBadClients(t *testing.T) {
	ca := testutil.NewCA(t)
	w := New("http://127.0.0.1:0", http.Protocol())
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "server")}}
	w.HandshakeTimeout = 300 * time.Millisecond
	w.OnMessage = func(c *connection.Conn, r *http.Request) { c.Send("ok") }
	addr := startTLS(t, w)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("plain HTTP to the TLS port: %v, %v", resp, err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "HTTPS server") {
		t.Fatalf("body %q", b)
	}
	c.Close()

	// A ClientHello cut short: nothing more comes.
	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03})
	if n, err := io.Copy(io.Discard, c); err != nil {
		t.Fatalf("a stalled handshake: %d bytes, %v; want the server to close", n, err)
	}
	c.Close()

	// Garbage.
	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	c.Write([]byte(strings.Repeat("\x00\xff", 100)))
	io.Copy(io.Discard, c)
	c.Close()

	// The server still serves.
	tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(testutil.Timeout))
	io.WriteString(tc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := nethttp.ReadResponse(bufio.NewReader(tc), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the bad clients: %v, %v", resp, err)
	}
}

// GetCertificate picks the certificate per connection: SNI, and a
// certificate swapped between two connections without a restart.
func TestTLSGetCertificate(t *testing.T) {
	ca := testutil.NewCA(t)
	certs := make(chan tls.Certificate, 1)
	first, second := ca.Issue(t, "first"), ca.Issue(t, "second")
	current := first
	w := New("text://127.0.0.1:0", text.Protocol())
	w.TLSConfig = &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		select {
		case c := <-certs:
			current = c
		default:
		}
		c := current
		return &c, nil
	}}
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(line) }
	addr := startTLS(t, w)
	subject := func() string {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if s := subject(); s != "first" {
		t.Fatalf("certificate %q, want first", s)
	}
	certs <- second
	if s := subject(); s != "second" {
		t.Fatalf("certificate %q after the swap, want second", s)
	}
}
