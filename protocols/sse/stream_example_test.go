package sse_test

import (
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

// The page and its event stream on one URL: a clock that pushes the time
// every second, on a timer that belongs to the connection (it stops when
// the browser goes away).
func ExampleStart() {
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if !r.AcceptsEventStream() {
			c.Send(`<p id="t"></p><script>new EventSource('/').onmessage = e => t.textContent = e.data</script>`)
			return
		}
		s, err := sse.Start(c, r, sse.Options{Retry: 3 * time.Second})
		if err != nil {
			return
		}
		c.Every(time.Second, func() {
			s.Send(sse.Event{Data: "The server time is: " + time.Now().Format(time.RFC1123)})
		})
	}
	_ = w // worker.RunAll() runs it
}
