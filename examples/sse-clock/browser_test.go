package main

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/internal/testutil"
)

// The page in a browser: the connection opens and the clock ticks (the
// server's time, which changes once a second, replaces the text).
func TestBrowserClockTicks(t *testing.T) {
	interval = 50 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))
	p := browsertest.Start(t).NewPage(t, "clock")
	p.Navigate(s.URL + "/")

	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	const prefix = "The server time is: "
	p.WaitFor("the time", `document.getElementById('time').textContent.startsWith(`+browsertest.JS(prefix)+`)`)
	shown := func() (string, time.Time) {
		t.Helper()
		text := p.Text("#time")
		at, err := time.Parse(time.RFC1123Z, strings.TrimPrefix(text, prefix))
		if err != nil {
			t.Fatalf("the page shows %q: %v", text, err)
		}
		return text, at
	}
	first, t1 := shown()
	p.WaitFor("the clock to tick", `document.getElementById('time').textContent !== `+browsertest.JS(first))
	if next, t2 := shown(); !t2.After(t1) {
		t.Fatalf("the clock went from %q to %q, want a later time", first, next)
	}
	p.Screenshot("sse-clock")
}

// Over https the browser and the server agree on HTTP/2 (ALPN): the page
// and ten EventSources share one connection, where HTTP/1.1 would let a
// browser open six and leave the seventh stream waiting.
func TestBrowserTenStreamsOverHTTP2(t *testing.T) {
	interval = 50 * time.Millisecond
	ca := testutil.NewCA(t)
	cert := ca.Issue(t, "localhost", "localhost", "127.0.0.1")
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	w := newServer("127.0.0.1:0")
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	var mu sync.Mutex
	var sockets []string // the ALPN protocol of each connection
	w.OnConnect = func(c *connection.Conn) {
		if c.Parent() == nil {
			st, _ := c.TLS()
			mu.Lock()
			sockets = append(sockets, st.NegotiatedProtocol)
			mu.Unlock()
		}
	}
	addr := testutil.Start(t, w)
	p := browsertest.Start(t, browsertest.TrustCertificate(leaf)).NewPage(t, "ten streams")
	p.Navigate("https://" + addr + "/")
	p.Script(`window.counts = Array(10).fill(0);
for (let i = 0; i < 10; i++) {
  new EventSource('/').onmessage = () => { window.counts[i]++; };
}`)
	p.WaitFor("two events on each of the ten streams", `window.counts.every(n => n >= 2)`)
	if proto := browsertest.Eval[string](p, `performance.getEntriesByType('navigation')[0].nextHopProtocol`); proto != "h2" {
		t.Fatalf("the page came over %q, want h2", proto)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sockets) != 1 || sockets[0] != "h2" {
		t.Fatalf("the browser opened %d connections (%q) for the page and ten streams, want one, h2", len(sockets), sockets)
	}
}
