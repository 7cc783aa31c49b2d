// Command httpgnet is the ceiling of the HTTP benchmark: a minimal gnet v2
// responder that parses nothing. OnTraffic counts the ends of request heads
// ("\r\n\r\n") in the bytes received, consumes everything up to and
// including the last one, and writes as many canned responses: 200 OK with a
// Date header (formatted once per second), Content-Type: text/plain,
// Content-Length: 13 and "Hello, World!". Connections stay open
// (HTTP/1.1 keep-alive). Requests with a body are not supported: it is the
// cost of the engine alone, for GET requests without a body.
//
// It runs one event loop per CPU (multicore) with SO_REUSEPORT, like
// gnetecho, and prints "LISTENING <addr>" on stdout once it listens.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// headEnd ends every request head.
var headEnd = []byte("\r\n\r\n")

// response builds the canned response for the time t.
func response(t time.Time) []byte {
	return []byte("HTTP/1.1 200 OK\r\n" +
		"Date: " + t.UTC().Format(http.TimeFormat) + "\r\n" +
		"Content-Type: text/plain\r\n" +
		"Content-Length: 13\r\n" +
		"\r\n" +
		"Hello, World!")
}

type responder struct {
	gnet.BuiltinEventEngine
	addr string
	resp atomic.Pointer[[]byte] // the canned response, renewed every second
}

func (r *responder) OnBoot(gnet.Engine) gnet.Action {
	r.renew()
	go func() {
		for range time.Tick(time.Second) {
			r.renew()
		}
	}()
	fmt.Println("LISTENING", r.addr)
	return gnet.None
}

func (r *responder) renew() {
	b := response(time.Now())
	r.resp.Store(&b)
}

func (r *responder) OnTraffic(c gnet.Conn) gnet.Action {
	in, _ := c.Peek(-1)
	n := bytes.Count(in, headEnd)
	if n == 0 {
		return gnet.None // an incomplete head: wait for more
	}
	c.Discard(bytes.LastIndex(in, headEnd) + len(headEnd))
	resp := *r.resp.Load()
	if n > 1 { // pipelined requests
		resp = bytes.Repeat(resp, n)
	}
	c.Write(resp)
	return gnet.None
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	reusePort := flag.Bool("reuseport", true, "one SO_REUSEPORT listener per event loop")
	flag.Parse()

	addr, err := resolvePort(*listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpgnet:", err)
		os.Exit(1)
	}
	err = gnet.Run(&responder{addr: addr}, "tcp://"+addr,
		gnet.WithMulticore(true),
		gnet.WithReusePort(*reusePort))
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpgnet:", err)
		os.Exit(1)
	}
}

// resolvePort replaces port 0 in addr by a port that is free right now
// (every SO_REUSEPORT listener would otherwise get a port of its own).
func resolvePort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port != "0" {
		return addr, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
