// Command httpnet is the baseline of the HTTP benchmark: net/http with one
// handler for "/" that writes "Hello, World!" (200 OK, keep-alive, the
// Content-Type net/http sniffs: text/plain; charset=utf-8).
//
// It prints "LISTENING <addr>" on stdout once the listener is bound.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

var hello = []byte("Hello, World!")

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	flag.Parse()

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write(hello)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpnet:", err)
		os.Exit(1)
	}
	fmt.Println("LISTENING", ln.Addr())
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, "httpnet:", err)
		os.Exit(1)
	}
}
