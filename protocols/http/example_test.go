package http_test

import (
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/worker"
)

// A protocol author's loop: Parse is given everything buffered and not yet
// consumed, and says how much it consumed.
func ExampleParser() {
	p := http.NewParser(http.Limits{MaxBodyBytes: 1 << 20})

	// Bytes arrive in pieces; the buffer holds everything not yet consumed.
	reads := []string{
		"POST /items?draft=1 HTTP/1.1\r\nHost: example.com\r\nContent-Le",
		"ngth: 5\r\n\r\n",
		"hel",
		"loGET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
	}
	var buf []byte
	for _, r := range reads {
		buf = append(buf, r...)
		for {
			req, n, err := p.Parse(buf)
			if err != nil {
				var he *http.Error
				errors.As(err, &he)
				fmt.Printf("reject with %d, then close\n", he.Status)
				return
			}
			buf = buf[n:] // consumed: the head, body bytes, or a whole request
			if req == nil {
				if n == 0 {
					break // wait for more bytes
				}
				continue
			}
			fmt.Printf("%s %s query=%v body=%q keep-alive=%v\n",
				req.Method, req.Path, req.Query(), req.Body, req.KeepAlive())
		}
	}
	// Output:
	// POST /items query=map[draft:[1]] body="hello" keep-alive=true
	// GET / query=map[] body="" keep-alive=true
}

func ExampleError_Reply() {
	p := http.NewParser(http.Limits{})
	_, _, err := p.Parse([]byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"))
	var he *http.Error
	if errors.As(err, &he) {
		// One line at a time (the CRLFs become newlines), the Date value
		// replaced, since it is the time of the reply.
		for line := range strings.SplitSeq(string(he.Reply()), "\r\n") {
			if strings.HasPrefix(line, "Date: ") {
				line = "Date: (now)"
			}
			fmt.Println(line)
		}
	}
	// Output:
	// HTTP/1.1 400 Bad Request
	// Date: (now)
	// Content-Type: text/plain; charset=utf-8
	// Content-Length: 55
	// Connection: close
	//
	// http: Content-Length and Transfer-Encoding both present
}

func ExampleResponse() {
	req, _, _ := http.NewParser(http.Limits{}).Parse([]byte("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))

	resp := http.NewResponse(200, `{"ok":true}`).
		WithHeader("Content-Type", "application/json").
		WithHeader("Date", "Sun, 06 Nov 1994 08:49:37 GMT") // fixed for the example; normally automatic
	if err := resp.SetCookie(http.Cookie{Name: "sid", Value: "abc", Path: "/", HttpOnly: true, SameSite: http.SameSiteLax}); err != nil {
		panic(err)
	}
	wire, err := resp.AppendTo(nil, req)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.ReplaceAll(string(wire), "\r\n", "\n")) // CRLF shown as newlines
	// Output:
	// HTTP/1.1 200 OK
	// Server: workerman-go
	// Content-Type: application/json
	// Date: Sun, 06 Nov 1994 08:49:37 GMT
	// Set-Cookie: sid=abc; Path=/; HttpOnly; SameSite=Lax
	// Connection: keep-alive
	// Content-Length: 11
	//
	// {"ok":true}
}

// The http:// protocol: OnMessage gets each request and answers it with
// c.Send, a string (200, text/html, as in Workerman) or a *Response.
func ExampleProtocol() {
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch r.Path {
		case "/":
			c.Send("<h1>Hello, " + html.EscapeString(r.Query().Get("name")) + "</h1>")
		case "/api/echo":
			var v map[string]any
			if err := r.JSON(&v); err != nil {
				c.Send(http.NewResponse(400, err.Error()).WithHeader("Content-Type", "text/plain"))
				return
			}
			c.Send(http.NewResponse(200, string(r.Body)).WithHeader("Content-Type", "application/json"))
		default:
			c.Send(http.NewResponse(404, "not found"))
		}
	}
	_ = w // worker.RunAll() runs it
}

// A chunked response: the head goes first, then each c.Send is a chunk,
// and an empty one ends the body. The sends may come later, from a timer or
// another goroutine; the next request on the connection waits for the end.
func ExampleNewChunkedResponse() {
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		c.Send(http.NewChunkedResponse(200).WithHeader("Content-Type", "text/plain"))
		n := 0
		var tick func()
		tick = func() {
			if n++; n > 3 {
				c.Send("") // the last chunk
				return
			}
			c.Send(fmt.Sprintf("tick %d\n", n))
			c.After(time.Second, tick)
		}
		tick()
	}
	_ = w // worker.RunAll() runs it
}

// Static files from a folder: Content-Type, Last-Modified, 304, Range,
// index.html, and large files streamed as the client reads them.
func ExampleFileServer() {
	files, err := http.NewFileServer("public")
	if err != nil {
		panic(err)
	}
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if err := files.Serve(c, r); err != nil {
			slog.Info("not served", "path", r.Path, "err", err) // the client got 404, 403 or 405
		}
	}
	_ = w // worker.RunAll() runs it
}
