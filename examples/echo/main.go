// Command echo is a raw TCP echo server: every byte received is sent back.
//
// Nothing is lost to a client that sends faster than it reads: the
// framework stops reading a connection while the bytes queued for it fill
// half its send buffer, and a tcp message is at most 64 KiB, so every echo
// fits (see package connection, "Replies that must not be lost").
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
