package worker_test

import (
	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

// A program with flags of its own (here the address of a Redis that its
// Workers need): defined on worker.Flags, read with ParseFlags before the
// Workers are built, and given before the command word, with the built-in
// ones:
//
//	program -redis 10.0.0.5:6379 -listen 0.0.0.0:2346 start -d
//
// -h lists them all; start -d starts the daemon with the same flags.
func ExampleParseFlags() {
	redis := worker.Flags.String("redis", "", "`host:port` of Redis (empty: in memory)")
	worker.ParseFlags() // exits 0 after -h, 2 after a bad flag
	w := worker.New("text://0.0.0.0:2346", text.Protocol())
	w.OnMessage = func(c *connection.Conn, line string) {
		c.Send("this server's Redis: " + *redis) // the value is there
	}
	worker.RunAll() // runs the command, without parsing again
}
