// Command sse-clock pushes the server's time to the browser once a second
// with server-sent events: the first demo of the source documents, and the
// smallest event stream there is.
//
// The page and its stream share one URL. A browser that opens
// http://127.0.0.1:8081/ gets the page; the page's script opens
// new EventSource('/'), which asks for the same URL with
// "Accept: text/event-stream" and gets the stream:
//
//	HTTP/1.1 200 OK
//	Content-Type: text/event-stream
//	Cache-Control: no-cache
//
//	data: The server time is: Mon, 02 Jan 2006 15:04:05 +0000
//
//	data: The server time is: Mon, 02 Jan 2006 15:04:06 +0000
//
// Run it:
//
//	go run ./examples/sse-clock                        # http://127.0.0.1:8081/
//	go run ./examples/sse-clock -listen 0.0.0.0:9000 start
//	curl -N -H 'Accept: text/event-stream' http://127.0.0.1:8081/
package main

import (
	"embed"
	"io/fs"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

// interval is how often the time is sent (the test shortens it).
var interval = time.Second

func main() {
	newServer("127.0.0.1:8081")
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
	w.Name = "sse-clock"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path != "/" || !r.AcceptsEventStream() {
			files.Serve(c, r) // the page, for a browser's ordinary request
			return
		}
		// Start sends the head: 200, Content-Type: text/event-stream,
		// Cache-Control: no-cache. The connection now carries the stream.
		stream, err := sse.Start(c, r, sse.Options{})
		if err != nil {
			return // a HEAD request (answered), or the client is gone
		}
		tell := func() {
			stream.Send(sse.Event{Data: "The server time is: " + time.Now().Format(time.RFC1123Z)})
		}
		tell()
		// A timer owned by the connection: it runs on the connection's
		// event loop and stops by itself when the browser goes away.
		c.Every(interval, tell)
	}
	return w
}
