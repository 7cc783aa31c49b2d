// Command echo is a raw TCP echo server: every byte received is sent back.
//
//	go run ./examples/echo -listen 127.0.0.1:2345
//	nc 127.0.0.1 2345
package main

import (
	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/worker"
)

func main() {
	w := worker.New("tcp://0.0.0.0:2345", tcp.Protocol())
	w.Name = "echo"
	w.OnMessage = func(c *connection.Conn, data []byte) {
		c.Send(data) // Send copies data, which is only valid during the callback
	}
	worker.RunAll()
}
