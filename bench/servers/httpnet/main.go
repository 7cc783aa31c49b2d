// Command httpnet is the baseline of the HTTP benchmark: net/http with one
// handler for "/" that writes "Hello, World!" (200 OK, keep-alive, the
// Content-Type net/http sniffs: text/plain; charset=utf-8).
//
// With -tls-cert and -tls-key it serves TLS as ListenAndServeTLS does
// (http.Server.ServeTLS with a tls.Config holding the certificate), but
// HTTP/1.1 only: TLSNextProto is an empty map, so that net/http neither
// offers nor speaks HTTP/2 (ALPN negotiates http/1.1), for a like-for-like
// comparison with a server that speaks HTTP/1.1.
//
// It prints "LISTENING <addr>" on stdout once the listener is bound.
// -cpuprofile FILE writes a CPU profile of the process's life (until
// SIGINT or SIGTERM) for investigations.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

var hello = []byte("Hello, World!")

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	certFile := flag.String("tls-cert", "", "serve TLS (HTTP/1.1 only) with this certificate `file` (PEM), with -tls-key")
	keyFile := flag.String("tls-key", "", "private key `file` (PEM) of -tls-cert")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this `file` when the server stops (SIGINT, SIGTERM)")
	flag.Parse()
	if (*certFile == "") != (*keyFile == "") {
		fail(fmt.Errorf("-tls-cert and -tls-key go together"))
	}
	stopProfile := startProfile(*cpuProfile)

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write(hello)
	})
	srv := &http.Server{Handler: mux}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fail(fmt.Errorf("-tls-cert %s, -tls-key %s: %w", *certFile, *keyFile, err))
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		// Not nil: no HTTP/2 (net/http configures it only when TLSNextProto is nil).
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
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
	stopProfile()
	fail(err)
}

// startProfile starts a CPU profile into path ("" : none) and returns what
// stops it; SIGINT and SIGTERM stop it and end the process.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fail(err)
	}
	stop := func() {
		pprof.StopCPUProfile()
		f.Close()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		stop()
		os.Exit(0)
	}()
	return stop
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "httpnet:", err)
	os.Exit(1)
}
