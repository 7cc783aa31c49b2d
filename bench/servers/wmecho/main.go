// Command wmecho is the framework's own echo server for the benchmarks:
// a worker with the raw tcp protocol whose OnMessage sends back what it got.
//
// worker.RunAll parses -listen host:port from the command line (the driver
// passes -listen 127.0.0.1:0) and blocks until SIGINT/SIGTERM. OnWorkerStart
// runs once the listener is bound and prints "LISTENING <addr>", which the
// driver waits for.
package main

import (
	"fmt"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/worker"
)

func main() {
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol()) // *worker.Worker[[]byte]
	w.Name = "bench-echo"
	w.OnWorkerStart = func(w *worker.Worker[[]byte]) {
		fmt.Println("LISTENING", w.Addr())
	}
	w.OnMessage = func(c *connection.Conn, data []byte) { c.Send(data) }
	worker.RunAll()
}
