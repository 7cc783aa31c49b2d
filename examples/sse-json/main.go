// Command sse-json sends the server's time once a second as JSON, one
// object per event, which the page parses:
//
//	data: {"hour":15,"minute":4,"second":5}
//
// An event's data is text; JSON is the usual way to carry several values
// (and line breaks, escaped as \n) in one event.
//
//	go run ./examples/sse-json                         # http://127.0.0.1:8083/
//	go run ./examples/sse-json -listen 0.0.0.0:9000 start
package main

import (
	"embed"
	"encoding/json"
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

// clock is the data of one event.
type clock struct {
	Hour   int `json:"hour"`
	Minute int `json:"minute"`
	Second int `json:"second"`
}

func main() {
	newServer("127.0.0.1:8083")
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
	w.Name = "sse-json"
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
			now := time.Now()
			data, _ := json.Marshal(clock{Hour: now.Hour(), Minute: now.Minute(), Second: now.Second()})
			stream.Send(sse.Event{Data: string(data)})
		}
		send()
		c.Every(interval, send)
	}
	return w
}
