// Package pprofserve serves net/http/pprof for the benchmark servers, on a
// listener of its own, for investigations (the -pprof flag).
package pprofserve

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// Start serves the profiles on addr in the background; with addr "" it does
// nothing. A failure to listen ends the program (name says which) with
// status 1.
func Start(name, addr string) {
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: pprof: %v\n", name, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, goroutine, ... by name
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go http.Serve(ln, mux)
}
