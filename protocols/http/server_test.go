package http_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	nethttp "net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

const testTimeout = testutil.Timeout

// serve runs an http worker with cfg on a loopback port of its own and
// returns its address; the worker stops when the test ends.
func serve(t *testing.T, cfg http.Config, onMessage func(c *connection.Conn, r *http.Request)) string {
	t.Helper()
	return serveProtocol(t, http.ProtocolWith(cfg), onMessage)
}

// serveProtocol is serve with the protocol value itself.
func serveProtocol(t *testing.T, proto protocols.Protocol[*http.Request], onMessage func(c *connection.Conn, r *http.Request)) string {
	t.Helper()
	w := worker.New("http://127.0.0.1:0", proto)
	w.Count = 1
	w.OnMessage = onMessage
	return testutil.Start(t, w)
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

// readResponse reads one response from br with net/http's client-side
// parser (an independent implementation) and returns it with its body.
func readResponse(t *testing.T, br *bufio.Reader, method string) (*nethttp.Response, string) {
	t.Helper()
	resp, err := nethttp.ReadResponse(br, &nethttp.Request{Method: method})
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading a response body: %v", err)
	}
	resp.Body.Close()
	return resp, string(body)
}

// expectEOF checks that the server closes the connection (a read timeout
// is a failure: the connection stayed open).
func expectEOF(t *testing.T, br *bufio.Reader) {
	t.Helper()
	b, err := br.ReadByte()
	switch {
	case err == nil:
		t.Fatalf("connection still open: read %q", b)
	case !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET):
		t.Fatalf("connection not closed by the server: %v", err)
	}
}

func hello(c *connection.Conn, r *http.Request) { c.Send("hello " + r.Path) }

func TestServeWithNetHTTPClient(t *testing.T) {
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		body := r.Method + " " + r.Path + " q=" + r.Query().Get("q") + " body=" + string(r.Body)
		c.Send(http.NewResponse(201, body).WithHeader("X-Test", "yes"))
	})
	client := &nethttp.Client{Timeout: testTimeout}
	defer client.CloseIdleConnections()
	for i := range 5 { // the same keep-alive connection each time
		resp, err := client.Post("http://"+addr+"/p/"+strconv.Itoa(i)+"?q=x", "text/plain", strings.NewReader("data"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := fmt.Sprintf("POST /p/%d q=x body=data", i)
		if resp.StatusCode != 201 || string(b) != want || resp.Header.Get("X-Test") != "yes" {
			t.Fatalf("got %d %q %v, want 201 %q", resp.StatusCode, b, resp.Header, want)
		}
		if resp.Header.Get("Date") == "" || resp.Header.Get("Server") != "workerman-go" {
			t.Fatalf("Date or Server missing: %v", resp.Header)
		}
	}
}

func TestPipelinedRequestsAnsweredInOrder(t *testing.T) {
	addr := serve(t, http.Config{}, hello)
	c := dialRaw(t, addr)
	var req bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&req, "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", i)
	}
	if _, err := c.Write(req.Bytes()); err != nil { // all 100 in one write
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i := range 100 {
		resp, body := readResponse(t, br, "GET")
		if resp.StatusCode != 200 || body != fmt.Sprintf("hello /%d", i) {
			t.Fatalf("response %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

// A slow (asynchronous) answer to the first request still comes before the
// answer to the second, which is only delivered once the first is done.
func TestPipelinedAsyncResponsesKeepOrder(t *testing.T) {
	var delivered atomic.Int32
	slow := make(chan *connection.Conn, 1)
	release := make(chan struct{})
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		delivered.Add(1)
		if r.Path == "/slow" {
			slow <- c
			go func() {
				<-release
				c.Send("slow")
			}()
			return
		}
		c.Send("fast")
	})
	c := dialRaw(t, addr)
	const requests = "GET /slow HTTP/1.1\r\nHost: h\r\n\r\nGET /fast HTTP/1.1\r\nHost: h\r\n\r\n"
	if _, err := io.WriteString(c, requests); err != nil {
		t.Fatal(err)
	}
	sc := <-slow
	// Both requests were written at once; once the server has read every
	// byte and its loop has handled that read, /fast would have been
	// delivered by now unless it is held for the open /slow response.
	testutil.Eventually(t, "the server to read both requests", func() bool { return sc.BytesRead() == uint64(len(requests)) })
	onLoop(t, sc.Loop())
	if n := delivered.Load(); n != 1 {
		t.Fatalf("%d requests delivered while the first response is open, want 1", n)
	}
	close(release)
	br := bufio.NewReader(c)
	if _, body := readResponse(t, br, "GET"); body != "slow" {
		t.Fatalf("first response %q", body)
	}
	if _, body := readResponse(t, br, "GET"); body != "fast" {
		t.Fatalf("second response %q", body)
	}
	if n := delivered.Load(); n != 2 {
		t.Fatalf("%d requests delivered", n)
	}
}

// onLoop waits until loop l has run a task: the reads and flushes it was
// handling before are done.
func onLoop(t *testing.T, l *connection.Loop) {
	t.Helper()
	done := make(chan struct{})
	l.Run(func() { close(done) })
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal("a loop task did not run")
	}
}

func TestChunkedResponseThenNextRequest(t *testing.T) {
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		if r.Path != "/chunks" {
			c.Send("plain")
			return
		}
		c.Send(http.NewChunkedResponse(200))
		go func() {
			for _, part := range []string{"one ", "two ", "three"} {
				c.Send(part)
			}
			c.Send("") // the last chunk
		}()
	})
	c := dialRaw(t, addr)
	io.WriteString(c, "GET /chunks HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(c)
	resp, body := readResponse(t, br, "GET")
	if body != "one two three" || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("chunked: %q %v", body, resp.TransferEncoding)
	}
	if _, body := readResponse(t, br, "GET"); body != "plain" {
		t.Fatalf("after chunks: %q", body)
	}
}

func TestContentLengthBodySentInParts(t *testing.T) {
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		c.Send(http.NewResponse(200, "ab").WithHeader("Content-Length", "6"))
		c.Send([]byte("cd"))
		if err := c.Send("efg"); err == nil {
			t.Error("Send beyond the announced length accepted")
		}
		c.Send("ef")
		if err := c.Send("more"); !errors.Is(err, http.ErrNoRequest) {
			t.Errorf("Send after the response: %v, want ErrNoRequest", err)
		}
	})
	c := dialRaw(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(c)
	for range 2 {
		if _, body := readResponse(t, br, "GET"); body != "abcdef" {
			t.Fatalf("body %q", body)
		}
	}
}

func TestConnectionClose(t *testing.T) {
	addr := serve(t, http.Config{}, hello)
	for name, req := range map[string]string{
		"HTTP/1.0":                      "GET /a HTTP/1.0\r\n\r\n",
		"Connection: close":             "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"Connection: Keep-Alive, close": "GET /a HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, close\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := dialRaw(t, addr)
			io.WriteString(c, req+"GET /never HTTP/1.1\r\nHost: h\r\n\r\n")
			br := bufio.NewReader(c)
			resp, body := readResponse(t, br, "GET")
			if body != "hello /a" || !resp.Close {
				t.Fatalf("%q close=%v %v", body, resp.Close, resp.Header)
			}
			expectEOF(t, br)
		})
	}
	// HTTP/1.0 with keep-alive stays open.
	c := dialRaw(t, addr)
	io.WriteString(c, "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n")
	br := bufio.NewReader(c)
	resp, body := readResponse(t, br, "GET")
	if body != "hello /1" || resp.Close || resp.Header.Get("Connection") != "keep-alive" {
		t.Fatalf("1.0 keep-alive: %q %v", body, resp.Header)
	}
	if _, body := readResponse(t, br, "GET"); body != "hello /2" {
		t.Fatalf("second 1.0 request: %q", body)
	}
	expectEOF(t, br)
}

func TestHeadHasNoBody(t *testing.T) {
	addr := serve(t, http.Config{}, hello)
	c := dialRaw(t, addr)
	io.WriteString(c, "HEAD /x HTTP/1.1\r\nHost: h\r\n\r\nGET /y HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(c)
	resp, body := readResponse(t, br, "HEAD")
	if body != "" || resp.ContentLength != int64(len("hello /x")) {
		t.Fatalf("HEAD: body %q, length %d", body, resp.ContentLength)
	}
	if _, body := readResponse(t, br, "GET"); body != "hello /y" {
		t.Fatalf("after HEAD: %q", body)
	}
}

func TestServerAnswersExpectContinue(t *testing.T) {
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) { c.Send(string(r.Body)) })
	c := dialRaw(t, addr)
	io.WriteString(c, "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim response %q %v", line, err)
	}
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("after 100: %q", blank)
	}
	io.WriteString(c, "hello")
	if _, body := readResponse(t, br, "PUT"); body != "hello" {
		t.Fatalf("body %q", body)
	}
}

func TestRejectionsAnswerAndClose(t *testing.T) {
	addr := serve(t, http.Config{Limits: http.Limits{MaxHeaderBytes: 1024, MaxBodyBytes: 100}}, hello)
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"bad request line", "GET\r\n\r\n", 400},
		{"CL and TE", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"two lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
		{"body too large", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", 413},
		{"chunked too large", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", 413},
		{"head too large", "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", 1100) + "\r\n\r\n", 431},
		{"request line too long", "GET /" + strings.Repeat("a", 1100) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414},
		{"gzip coding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{"HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			io.WriteString(c, tc.req)
			br := bufio.NewReader(c)
			resp, _ := readResponse(t, br, "GET")
			if resp.StatusCode != tc.status || !resp.Close {
				t.Fatalf("status %d close %v, want %d and close", resp.StatusCode, resp.Close, tc.status)
			}
			checkDateField(t, resp)
			expectEOF(t, br)
		})
	}
}

// checkDateField checks that resp has one Date field, an IMF-fixdate within a
// minute of now (RFC 9110 §6.6.1: a server with a clock sends one).
func checkDateField(t *testing.T, resp *nethttp.Response) {
	t.Helper()
	v := resp.Header.Values("Date")
	if len(v) != 1 {
		t.Fatalf("%d Date fields: %q", len(v), v)
	}
	d, err := time.Parse(nethttp.TimeFormat, v[0])
	if err != nil || time.Since(d).Abs() > time.Minute {
		t.Fatalf("Date %q: %v", v[0], err)
	}
}

// A client that sends its head one byte every 100 ms is answered 408 when
// the header timeout passes.
func TestSlowlorisGets408(t *testing.T) {
	addr := serve(t, http.Config{HeaderTimeout: 500 * time.Millisecond}, hello)
	c := dialRaw(t, addr)
	req := "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + strings.Repeat("a", 1000) + "\r\n\r\n"
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range len(req) {
			if _, err := c.Write([]byte{req[i]}); err != nil {
				return // closed by the server: expected
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	br := bufio.NewReader(c)
	resp, _ := readResponse(t, br, "GET")
	if resp.StatusCode != 408 || !resp.Close {
		t.Fatalf("status %d, want 408 with close", resp.StatusCode)
	}
	checkDateField(t, resp)
	expectEOF(t, br)
	c.Close()
	<-done
}

func TestIdleKeepAliveConnectionClosed(t *testing.T) {
	addr := serve(t, http.Config{IdleTimeout: 200 * time.Millisecond}, hello)
	c := dialRaw(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(c)
	readResponse(t, br, "GET")
	expectEOF(t, br) // within two idle timeouts; bounded by the test deadline
}

func TestBodyInManyReads(t *testing.T) {
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		c.Send(strconv.Itoa(len(r.Body)) + " " + r.Header.Get("X-Sum"))
	})
	c := dialRaw(t, addr)
	body := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", len(body))
	for b := body; len(b) > 0; {
		n := min(len(b), 70_000)
		if _, err := c.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	// Chunked too, with a trailer.
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
	for range 100 {
		fmt.Fprintf(c, "%x\r\n%s\r\n", 1000, bytes.Repeat([]byte("z"), 1000))
	}
	io.WriteString(c, "0\r\nX-Sum: 42\r\n\r\n")
	br := bufio.NewReader(c)
	if _, got := readResponse(t, br, "POST"); got != "3000000 " {
		t.Fatalf("content-length body: %q", got)
	}
	if _, got := readResponse(t, br, "POST"); got != "100000 " {
		t.Fatalf("chunked body: %q", got)
	}
}

func TestSendWithoutRequestFails(t *testing.T) {
	errs := make(chan error, 1)
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		c.Send("first")
		errs <- c.Send("second")
	})
	c := dialRaw(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	readResponse(t, bufio.NewReader(c), "GET")
	if err := <-errs; !errors.Is(err, http.ErrNoRequest) {
		t.Fatalf("second Send: %v, want ErrNoRequest", err)
	}
}

// A request switches its connection to another protocol (as a WebSocket
// upgrade does): bytes that follow it, even in the same write, belong to
// the new protocol, and the HTTP timers no longer apply.
func TestSwitchProtocols(t *testing.T) {
	addr := serve(t, http.Config{IdleTimeout: 100 * time.Millisecond}, func(c *connection.Conn, r *http.Request) {
		if r.Path != "/switch" {
			c.Send("plain")
			return
		}
		c.SendRaw([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: lines\r\nConnection: Upgrade\r\n\r\n"))
		connection.Switch(c, text.Protocol().NewCodec(protocols.Limits{MaxPackageSize: 1 << 20}),
			func(c *connection.Conn, line string) { c.Send("echo: " + line) })
	})
	c := dialRaw(t, addr)
	io.WriteString(c, "GET /switch HTTP/1.1\r\nHost: h\r\nUpgrade: lines\r\nConnection: Upgrade\r\n\r\nfirst\n")
	br := bufio.NewReader(c)
	resp, err := nethttp.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	for _, want := range []string{"first"} {
		if line, err := br.ReadString('\n'); err != nil || line != "echo: "+want+"\n" {
			t.Fatalf("after the switch: %q %v", line, err)
		}
	}
	// An idle HTTP connection of the same loop, quiet since after the
	// switched one's request: when the idle check closes it, the switched
	// connection would be closed in the same pass if it were still checked.
	idle := dialRaw(t, addr)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	ibr := bufio.NewReader(idle)
	if _, body := readResponse(t, ibr, "GET"); body != "plain" {
		t.Fatalf("idle connection's response %q", body)
	}
	expectEOF(t, ibr) // closed by the idle timeout
	io.WriteString(c, "second\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo: second\n" {
		t.Fatalf("later: %q %v", line, err)
	}
}

// The temporary files of a multipart upload are removed once the response
// to it has been sent.
func TestMultipartFilesRemoved(t *testing.T) {
	spilled := make(chan string, 1)
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		form, err := r.MultipartForm(1 << 10)
		if err != nil {
			spilled <- ""
			c.Send(http.NewResponse(400, err.Error()))
			return
		}
		name := ""
		if f, err := form.File["upload"][0].Open(); err == nil {
			if osf, ok := f.(*os.File); ok {
				name = osf.Name()
			}
			f.Close()
		}
		spilled <- name
		c.Send("ok")
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("upload", "big.bin")
	fw.Write(bytes.Repeat([]byte("0123456789"), 10000)) // 100 kB: beyond maxMemory
	mw.Close()
	c := dialRaw(t, addr)
	fmt.Fprintf(c, "POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		mw.FormDataContentType(), body.Len(), body.Bytes())
	if resp, got := readResponse(t, bufio.NewReader(c), "POST"); resp.StatusCode != 200 || got != "ok" {
		t.Fatalf("%d %q", resp.StatusCode, got)
	}
	name := <-spilled
	if name == "" {
		t.Fatal("the upload was not spilled to a temporary file")
	}
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatalf("temporary file %s still exists after the response: %v", name, err)
	}
}
