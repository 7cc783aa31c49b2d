package sse_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

const testTimeout = testutil.Timeout

func serve(t *testing.T, onMessage func(c *connection.Conn, r *http.Request)) *worker.Worker[*http.Request] {
	t.Helper()
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1
	w.OnMessage = onMessage
	testutil.Start(t, w)
	return w
}

// digits streams 1, 2, 3 and then "bye", as the digits demo does.
func digits(c *connection.Conn, r *http.Request) {
	if !r.AcceptsEventStream() {
		c.Send("not a stream")
		return
	}
	s, err := sse.Start(c, r, sse.Options{Retry: 2 * time.Second})
	if err != nil {
		return
	}
	go func() {
		for i := 1; i <= 3; i++ {
			s.Send(sse.Event{ID: string(rune('0' + i)), Data: string(rune('0' + i))})
		}
		s.Send(sse.Event{Event: "bye", Data: "bye-bye"})
		s.Close()
	}()
}

// The stream read by net/http's client and our parser.
func TestStreamWithNetHTTPClient(t *testing.T) {
	w := serve(t, digits)
	req, _ := nethttp.NewRequest("GET", "http://"+w.Addr()+"/", nil)
	req.Header.Set("Accept", "text/html;q=0.9, text/event-stream; charset=utf-8")
	resp, err := (&nethttp.Client{Timeout: testTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" ||
		resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("X-Accel-Buffering") != "no" ||
		resp.ContentLength != -1 || len(resp.TransferEncoding) != 0 {
		t.Fatalf("head: %d %v length %d te %v", resp.StatusCode, resp.Header, resp.ContentLength, resp.TransferEncoding)
	}
	p := &sse.Parser{}
	dec := sse.NewDecoder(resp.Body, p)
	var got []string
	for {
		e, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID+"/"+e.Event+"/"+e.Data)
	}
	if strings.Join(got, " ") != "1//1 2//2 3//3 3/bye/bye-bye" {
		t.Fatalf("events %q", got)
	}
	if r, ok := p.Retry(); !ok || r != 2*time.Second {
		t.Fatalf("retry %v %v", r, ok)
	}
}

// The head, byte for byte, on a raw socket.
func TestStreamHeadOnRawSocket(t *testing.T) {
	w := serve(t, digits)
	c, err := net.DialTimeout("tcp", w.Addr(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	io.WriteString(c, "GET /digits HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n")
	all, err := io.ReadAll(c) // the stream ends by closing
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(all), "\r\n\r\n")
	for _, want := range []string{"HTTP/1.1 200 OK", "\r\nContent-Type: text/event-stream\r\n", "\r\nCache-Control: no-cache\r\n",
		"\r\nX-Accel-Buffering: no\r\n", "\r\nConnection: keep-alive"} {
		if !strings.Contains(head+"\r\n", want) {
			t.Errorf("head lacks %q:\n%s", want, head)
		}
	}
	for _, bad := range []string{"Content-Length", "Transfer-Encoding"} {
		if strings.Contains(head, bad) {
			t.Errorf("head has %s:\n%s", bad, head)
		}
	}
	if want := "retry: 2000\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\nevent: bye\ndata: bye-bye\n\n"; body != want {
		t.Errorf("body %q\nwant %q", body, want)
	}
}

// Workerman's way: a Response with Content-Type text/event-stream (here
// with a charset, which breaks Workerman) and body "\r\n", then events.
func TestWorkermanWay(t *testing.T) {
	w := serve(t, func(c *connection.Conn, r *http.Request) {
		if r.Header.Get("Accept") == "text/event-stream" {
			c.Send(http.NewResponse(200, "\r\n").WithHeader("Content-Type", "text/event-stream; charset=utf-8"))
			c.Send(sse.Event{Event: "message", Data: "hello", ID: "1"})
			c.Send(sse.Event{Event: "message", Data: "line1\r\nline2\rline3", ID: "2"})
			c.Close()
			return
		}
		c.Send("ok")
	})
	req, _ := nethttp.NewRequest("GET", "http://"+w.Addr()+"/", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := (&nethttp.Client{Timeout: testTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := sse.NewDecoder(resp.Body, nil)
	e1, err1 := dec.Next()
	e2, err2 := dec.Next()
	if err1 != nil || err2 != nil || e1.Data != "hello" || e1.ID != "1" || e2.Data != "line1\nline2\nline3" {
		t.Fatalf("%+v %v / %+v %v", e1, err1, e2, err2)
	}
	if resp.ContentLength != -1 {
		t.Fatalf("Content-Length %d on a stream", resp.ContentLength)
	}
}

func TestHeartbeatAndCORS(t *testing.T) {
	w := serve(t, func(c *connection.Conn, r *http.Request) {
		sse.Start(c, r, sse.Options{Heartbeat: 30 * time.Millisecond, AllowOrigin: "*", AllowCredentials: true})
	})
	c, err := net.DialTimeout("tcp", w.Addr(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\nAccept: text/event-stream\r\n\r\n")
	resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("CORS: %v", resp.Header)
	}
	var mu sync.Mutex
	comments := 0
	p := &sse.Parser{OnComment: func(string) { mu.Lock(); comments++; mu.Unlock() }}
	dec := sse.NewDecoder(resp.Body, p)
	go dec.Next() // reads until the connection closes
	testutil.Eventually(t, "three heartbeats", func() bool { mu.Lock(); defer mu.Unlock(); return comments >= 3 })
}

func TestNoContentAndHead(t *testing.T) {
	var headErr error
	var mu sync.Mutex
	w := serve(t, func(c *connection.Conn, r *http.Request) {
		if r.Method == "HEAD" {
			_, err := sse.Start(c, r, sse.Options{})
			mu.Lock()
			headErr = err
			mu.Unlock()
			return
		}
		sse.NoContent(c, r)
	})
	resp, err := (&nethttp.Client{Timeout: testTimeout}).Get("http://" + w.Addr() + "/")
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = (&nethttp.Client{Timeout: testTimeout}).Head("http://" + w.Addr() + "/")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if !errors.Is(headErr, sse.ErrHead) {
		t.Fatalf("Start on HEAD: %v", headErr)
	}
}

// A new client, one that reconnects, and the end of each stream, told
// apart with Start's stream and c.WhenClosed.
func TestStartOpenResumeClose(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	call := func(what string) { mu.Lock(); calls = append(calls, what); mu.Unlock() }
	w := serve(t, func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{})
		if err != nil {
			t.Errorf("Start: %v", err)
			return
		}
		c.WhenClosed(func() { call("close") })
		if s.Resumed() {
			call("resume " + s.LastEventID())
		} else {
			call("open")
		}
		s.Close()
	})
	for _, lastID := range []string{"", "42"} {
		req, _ := nethttp.NewRequest("GET", "http://"+w.Addr()+"/", nil)
		req.Header.Set("Accept", "text/event-stream")
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := (&nethttp.Client{Timeout: testTimeout}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	testutil.Eventually(t, "callbacks", func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) == 4 })
	if strings.Join(calls, ",") != "open,close,resume 42,close" {
		t.Fatalf("calls %v", calls)
	}
}

// Heartbeat timers (and the HTTP codec's) die with their connections: after
// 1,000 streams opened and dropped, no timer is left.
func TestHeartbeatTimersGoneAfterManyCycles(t *testing.T) {
	w := serve(t, func(c *connection.Conn, r *http.Request) { sse.Start(c, r, sse.Options{Heartbeat: time.Hour}) })
	for range 1000 {
		c, err := net.DialTimeout("tcp", w.Addr(), testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(testTimeout))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n")
		br := bufio.NewReader(c)
		if line, err := br.ReadString('\n'); err != nil || line != "HTTP/1.1 200 OK\r\n" {
			t.Fatalf("%q %v", line, err)
		}
		c.Close()
	}
	timers := func() int64 { return w.Stats().Timers }
	testutil.Eventually(t, "every connection closed and its timers gone", func() bool {
		return w.Stats().Connections == 0 && timers() == 0
	})
}

// A connection names what it carries (the connections command, the
// status): "http" for requests, "sse" once it streams events.
func TestProtocolNameOfAStream(t *testing.T) {
	names := make(chan string, 2)
	name := func(c *connection.Conn) string {
		n, ok := c.Codec().(interface{ ProtocolName() string })
		if !ok {
			return "no name"
		}
		return n.ProtocolName()
	}
	w := serve(t, func(c *connection.Conn, r *http.Request) {
		if !r.AcceptsEventStream() {
			names <- name(c)
			c.Send("page")
			return
		}
		if _, err := sse.Start(c, r, sse.Options{Heartbeat: -1}); err == nil {
			names <- name(c)
		}
	})
	c := testutil.Dial(t, nil, w.Addr())
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, names, "the page's name"); got != "http" {
		t.Errorf("a page's connection is %q, want http", got)
	}
	if got := testutil.Recv(t, names, "the stream's name"); got != "sse" {
		t.Errorf("a stream's connection is %q, want sse", got)
	}
}
