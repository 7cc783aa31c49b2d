package sse_test

import (
	"context"
	"fmt"
	nethttp "net/http"
	"strconv"
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
			return // no stream: ErrHead for a HEAD request
		}
		c.Every(time.Second, func() {
			s.Send(sse.Event{Data: "The server time is: " + time.Now().Format(time.RFC1123)})
		})
	}
	_ = w // worker.RunAll() runs it
}

// A new client and one that reconnects: Resumed and LastEventID tell them
// apart, and c.WhenClosed runs when the stream ends. Here every event's id
// is its number, so a client that reconnects gets the numbers after the
// last one it saw.
func ExampleStart_resume() {
	ended := make(chan string, 1)
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{})
		if err != nil {
			return // no stream: ErrHead for a HEAD request
		}
		next := 1
		if s.Resumed() {
			n, err := strconv.Atoi(s.LastEventID())
			if err == nil {
				next = n + 1
			}
			s.Comment("welcome back")
		}
		c.WhenClosed(func() { ended <- "stream ended after " + strconv.Itoa(next+1) })
		for i := next; i < next+2; i++ {
			s.Send(sse.Event{ID: strconv.Itoa(i), Data: "event " + strconv.Itoa(i)})
		}
		s.Close() // a real stream would go on
	}
	if err := w.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer w.Stop(context.Background())

	// The client: first a new EventSource, then one that reconnects after
	// event 41, as a browser does with the Last-Event-ID header.
	for _, lastEventID := range []string{"", "41"} {
		req, _ := nethttp.NewRequest("GET", "http://"+w.Addr()+"/", nil)
		req.Header.Set("Accept", sse.ContentType)
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		p := &sse.Parser{OnComment: func(text string) { fmt.Println("comment:", text) }}
		d := sse.NewDecoder(resp.Body, p)
		for {
			e, err := d.Next()
			if err != nil {
				break // io.EOF: the server closed the stream
			}
			fmt.Printf("id %s: %s\n", e.ID, e.Data)
		}
		resp.Body.Close()
		fmt.Println(<-ended)
	}
	// Output:
	// id 1: event 1
	// id 2: event 2
	// stream ended after 2
	// comment: welcome back
	// id 42: event 42
	// id 43: event 43
	// stream ended after 43
}
