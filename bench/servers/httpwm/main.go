// Command httpwm is the framework's own server for the HTTP benchmark: a
// worker with the http protocol whose OnMessage sends "Hello, World!"
// (200 OK, Content-Type: text/html; charset=utf-8, keep-alive).
//
// worker.RunAll parses -listen host:port from the command line (the driver
// passes -listen 127.0.0.1:0) and blocks until SIGINT/SIGTERM. OnWorkerStart
// runs once the listener is bound and prints "LISTENING <addr>", which the
// driver waits for. The command line's built-in -tls-cert FILE -tls-key FILE
// make it serve TLS (the TLS benchmark, compare tls). -cpuprofile FILE
// writes a CPU profile of the process's life (until SIGINT or SIGTERM) for
// investigations.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/worker"
)

func main() {
	cpuProfile := worker.Flags.String("cpuprofile", "", "write a CPU profile to this `file` when the server stops (SIGINT, SIGTERM)")
	worker.ParseFlags()
	w := worker.New("http://127.0.0.1:0", http.Protocol()) // *worker.Worker[*http.Request]
	w.Name = "bench-http"
	w.OnWorkerStart = func(w *worker.Worker[*http.Request]) {
		fmt.Println("LISTENING", w.Addr())
	}
	w.OnMessage = func(c *connection.Conn, r *http.Request) { c.Send("Hello, World!") }
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "httpwm:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "httpwm:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	worker.RunAll()
}
