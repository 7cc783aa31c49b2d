package http_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/workerman-go/workerman/protocols/http"
)

func ExampleParser() {
	p := http.NewParser(http.Limits{MaxBodyBytes: 1 << 20})

	// Bytes arrive in pieces; the buffer holds everything not yet consumed.
	reads := []string{
		"POST /items?draft=1 HTTP/1.1\r\nHost: example.com\r\nContent-Le",
		"ngth: 5\r\nExpect: 100-continue\r\n\r\n",
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
				if p.NeedsContinue() {
					fmt.Printf("send %q\n", http.Continue)
					p.ContinueSent()
				}
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
	// send "HTTP/1.1 100 Continue\r\n\r\n"
	// POST /items query=map[draft:[1]] body="hello" keep-alive=true
	// GET / query=map[] body="" keep-alive=true
}

func ExampleError_Reply() {
	p := http.NewParser(http.Limits{})
	_, _, err := p.Parse([]byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"))
	var he *http.Error
	if errors.As(err, &he) {
		fmt.Println(strings.ReplaceAll(string(he.Reply()), "\r\n", "\n")) // CRLF shown as newlines
	}
	// Output:
	// HTTP/1.1 400 Bad Request
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

func ExampleAppendChunk() {
	req, _, _ := http.NewParser(http.Limits{}).Parse([]byte("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n"))
	resp := http.NewChunkedResponse(200).WithHeader("Date", "Sun, 06 Nov 1994 08:49:37 GMT")
	wire, _ := resp.AppendTo(nil, req)
	wire = http.AppendChunk(wire, []byte("first"))
	wire = http.AppendChunk(wire, []byte(", second"))
	wire, _ = http.AppendLastChunk(wire, nil)
	fmt.Printf("%q\n", wire)
	// Output:
	// "HTTP/1.1 200 OK\r\nServer: workerman-go\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n8\r\n, second\r\n0\r\n\r\n"
}
