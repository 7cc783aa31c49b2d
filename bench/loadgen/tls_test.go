package loadgen

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/bench/internal/testcert"
)

// tlsTestServer is a net/http TLS server on loopback with the test
// certificate: GET / answers "Hello, World!", or with Accept:
// text/event-stream starts a stream that sends nothing. h2 leaves HTTP/2
// on (net/http's default); otherwise it speaks HTTP/1.1 only.
type tlsTestServer struct {
	addr    string
	certs   testcert.Files
	h2      bool
	streams atomic.Int64
}

func startTLS(t *testing.T, s *tlsTestServer) *tlsTestServer {
	t.Helper()
	var err error
	if s.certs, err = testcert.Make(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(s.certs.Cert, s.certs.Key)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			w.Write([]byte("Hello, World!"))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		s.streams.Add(1)
		<-r.Context().Done()
	})
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}},
		ErrorLog: log.New(io.Discard, "", 0)} // connections cut at the end of a run

	if !s.h2 {
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return s
}

func tlsConfig(s *tlsTestServer, mode string, conns int) Config {
	return Config{Mode: mode, Target: s.addr, Conns: conns, CAFile: s.certs.CA, ServerName: testcert.Name,
		Duration: 300 * time.Millisecond, SetupTimeout: 10 * time.Second}
}

func TestTLSHandshake(t *testing.T) {
	s := startTLS(t, &tlsTestServer{})
	cfg := tlsConfig(s, ModeTLSHandshake, 4)
	cfg.Warmup = 100 * time.Millisecond
	cfg.Sources = []string{"127.0.0.2", "127.0.0.3"}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Handshakes == 0 || res.HandshakesPerSec <= 0 || res.P50us <= 0 {
		t.Fatalf("%s", res.Summary())
	}
	if i := res.TLS; i == nil || i.ALPN != "http/1.1" || i.Proto != "HTTP/1.1" || i.Resumed != 0 || i.Version != "TLS 1.3" {
		t.Fatalf("TLS: %+v", res.TLS)
	}
}

// Every handshake may verify the chain too.
func TestTLSHandshakeVerifyEach(t *testing.T) {
	s := startTLS(t, &tlsTestServer{})
	cfg := tlsConfig(s, ModeTLSHandshake, 2)
	cfg.TLSVerifyEach = true
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Handshakes == 0 {
		t.Fatalf("%s", res.Summary())
	}
}

func TestTLSIdleAndSSE(t *testing.T) {
	for _, mode := range []string{ModeTLSIdle, ModeTLSSSE} {
		t.Run(mode, func(t *testing.T) {
			s := startTLS(t, &tlsTestServer{})
			cfg := tlsConfig(s, mode, 20)
			var ready atomic.Int64
			cfg.OnReady = func(n int) { ready.Store(int64(n)) }
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK || res.Established != 20 || res.HeldAtEnd != 20 || ready.Load() != 20 {
				t.Fatalf("ready %d: %s", ready.Load(), res.Summary())
			}
			// The server saw one stream more: the first connection's, a check.
			if mode == ModeTLSSSE && (res.Streams != 20 || s.streams.Load() != 21) {
				t.Fatalf("streams: %d reported, %d at the server", res.Streams, s.streams.Load())
			}
			if res.TLS == nil || res.TLS.ALPN != "http/1.1" {
				t.Fatalf("TLS: %+v", res.TLS)
			}
		})
	}
}

// A server that chooses HTTP/2 fails the run: the comparison is over
// HTTP/1.1.
func TestTLSRequiresHTTP1(t *testing.T) {
	s := startTLS(t, &tlsTestServer{h2: true})
	res, err := Run(context.Background(), tlsConfig(s, ModeTLSIdle, 2))
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Error, `"h2"`) {
		t.Fatalf("want an ALPN failure: %s", res.Summary())
	}
}

// A certificate from another CA fails the first handshake.
func TestTLSWrongCA(t *testing.T) {
	s := startTLS(t, &tlsTestServer{})
	other, err := testcert.Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := tlsConfig(s, ModeTLSHandshake, 2)
	cfg.CAFile = other.CA
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Error, "first connection") || !strings.Contains(res.Error, "certificate") {
		t.Fatalf("want a verification failure: %s", res.Summary())
	}
	// And without a CA the run does not start.
	cfg.CAFile = ""
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Fatal("a TLS run without -ca started")
	}
}
