// Command sse-colors sends, every second, an event named at random red,
// green or blue, carrying the server's time: named events, which a page
// receives with addEventListener(name) rather than onmessage.
//
//	event: green
//	data: 15:04:05
//
// Open http://127.0.0.1:8082/: one label per colour, and a random one of them
// moves on each second. The page's script opens new EventSource('/'), the
// page's own URL asked for with "Accept: text/event-stream".
//
//	go run ./examples/sse-colors                       # http://127.0.0.1:8082/
//	go run ./examples/sse-colors -listen 0.0.0.0:9000 start
package main

import (
	"embed"
	"io/fs"
	"math/rand/v2"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

// interval is how often an event is sent (the test shortens it).
var interval = time.Second

// colors are the event names.
var colors = []string{"red", "green", "blue"}

func main() {
	newServer("127.0.0.1:8082")
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
	w.Name = "sse-colors"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path != "/" || !r.AcceptsEventStream() {
			files.Serve(c, r)
			return
		}
		stream, err := sse.Start(c, r, sse.Options{})
		if err != nil {
			return
		}
		send := func() {
			stream.Send(sse.Event{
				Event: colors[rand.IntN(len(colors))], // the browser dispatches an event of that name
				Data:  time.Now().Format("15:04:05"),
			})
		}
		send()
		c.Every(interval, send)
	}
	return w
}
