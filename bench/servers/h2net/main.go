// Command h2net is the net/http baseline of the HTTP/2 benchmark (compare
// h2): net/http's own HTTP/2 server, with a goroutine per stream, serving
// what the framework's ssewm and httpwm serve. (bench/servers/ssenet and
// httpnet switch HTTP/2 off to compare HTTP/1.1 over TLS; this one keeps
// net/http's defaults.)
//
// GET / with Accept: text/event-stream gets an event stream
// (Content-Type: text/event-stream, flushed with http.Flusher after every
// write; over HTTP/2 each flush is a DATA frame), and -mode chooses what it
// gets:
//
//   - idle: a heartbeat comment every 15 s (time.Ticker) and nothing else;
//   - tick: one event per second from the stream's own time.Ticker, its
//     data the time of sending (Unix ns); no heartbeat.
//
// Any other request gets "Hello, World!" (200, the Content-Type net/http
// sniffs), as bench/servers/httpnet answers.
//
// With -tls-cert FILE -tls-key FILE it serves TLS as ListenAndServeTLS
// does (http.Server.ServeTLS, a tls.Config holding the certificate):
// net/http offers ALPN h2 and http/1.1 and speaks HTTP/2 with clients that
// choose h2. Without them it serves cleartext HTTP/1.1 and HTTP/2 by prior
// knowledge (h2c: http.Server.Protocols with SetUnencryptedHTTP2). The
// HTTP/2 settings are net/http's defaults (250 concurrent streams per
// connection among them).
//
// It prints "LISTENING <addr>" on stdout once the listener is bound.
// -pprof host:port serves net/http/pprof on a separate listener.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/workerman-go/workerman/bench/internal/netsse"
	"github.com/workerman-go/workerman/bench/internal/pprofserve"
)

var hello = []byte("Hello, World!")

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	mode := flag.String("mode", "idle", "what the event streams get: idle or tick")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (off by default)")
	certFile := flag.String("tls-cert", "", "serve TLS (ALPN h2 and http/1.1) with this certificate `file` (PEM), with -tls-key")
	keyFile := flag.String("tls-key", "", "private key `file` (PEM) of -tls-cert")
	flag.Parse()
	if (*certFile == "") != (*keyFile == "") {
		fail(fmt.Errorf("-tls-cert and -tls-key go together"))
	}
	if *mode != "idle" && *mode != "tick" {
		fmt.Fprintf(os.Stderr, "h2net: unknown -mode %q (idle, tick)\n", *mode)
		os.Exit(2)
	}
	pprofserve.Start("h2net", *pprofAddr)

	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/" && strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			if *mode == "tick" {
				netsse.Tick(w, r)
			} else {
				netsse.Idle(w, r)
			}
			return
		}
		w.Write(hello)
	})}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fail(fmt.Errorf("-tls-cert %s, -tls-key %s: %w", *certFile, *keyFile, err))
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	} else {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fail(err)
	}
	fmt.Println("LISTENING", ln.Addr())
	if *certFile != "" {
		err = srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
	} else {
		err = srv.Serve(ln)
	}
	fail(err)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "h2net:", err)
	os.Exit(1)
}
