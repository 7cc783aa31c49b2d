// Command sse-digits is javascript.info's digits demo: the stream sends 1, 2
// and 3, one a second, then an event named "bye", and ends. The browser's
// EventSource then reconnects by itself, after the delay the stream set
// with "retry:", and the count starts again.
//
//	retry: 5000
//
//	data: 1
//
//	data: 2
//
//	data: 3
//
//	event: bye
//	data: bye-bye
//
// Open http://127.0.0.1:8085/ and press Start.
//
//	go run ./examples/sse-digits                       # http://127.0.0.1:8085/
//	go run ./examples/sse-digits -listen 0.0.0.0:9000 start
package main

import (
	"embed"
	"io/fs"
	"strconv"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

// interval is the time between two digits (the test shortens it).
var interval = time.Second

// retry is the browser's reconnection delay, sent at the start of the
// stream: long enough to see the reconnection happen.
const retry = 5 * time.Second

func main() {
	newServer("127.0.0.1:8085")
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)

	w := worker.New("http://"+hostport, http.Protocol())
	w.Name = "sse-digits"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path != "/" || !r.AcceptsEventStream() {
			files.Serve(c, r)
			return
		}
		stream, err := sse.Start(c, r, sse.Options{Retry: retry})
		if err != nil {
			return
		}
		// As javascript.info's server: write at once, then every interval.
		// The timer runs on the connection's event loop, as OnMessage does,
		// so i and timer need no lock.
		i := 0
		var timer *connection.Timer
		write := func() {
			i++
			if i == 4 {
				stream.Send(sse.Event{Event: "bye", Data: "bye-bye"})
				timer.Stop()   // clearInterval(timer)
				stream.Close() // res.end(): the connection closes once "bye" is written
				return
			}
			stream.Send(sse.Event{Data: strconv.Itoa(i)})
		}
		write()
		timer = c.Every(interval, write)
	}
	return w
}
