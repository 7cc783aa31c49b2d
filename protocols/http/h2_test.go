package http_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

// h2Routes is the application of the HTTP/2 tests, the same code as for
// HTTP/1.1.
func h2Routes(c *connection.Conn, r *http.Request) {
	switch r.Path {
	case "/hello":
		c.Send("hello " + r.Proto)
	case "/echo":
		c.Send(http.NewResponse(200, "").WithBody(r.Body).WithHeader("X-Length", fmt.Sprint(len(r.Body))))
	case "/big":
		c.Send(http.NewResponse(200, strings.Repeat("0123456789abcdef", 1<<16))) // 1 MiB
	case "/chunked":
		c.Send(http.NewChunkedResponse(200))
		for i := range 3 {
			c.Send(fmt.Sprintf("part %d;", i))
		}
		c.Send("")
	case "/events":
		if s, err := sse.Start(c, r, sse.Options{}); err == nil {
			s.Send(sse.Event{Data: "first " + r.Proto})
			n := 0
			c.Every(20*time.Millisecond, func() {
				n++
				s.Send(sse.Event{Data: fmt.Sprint("tick ", n)})
			})
		}
	case "/hang":
		// never answered: the stream stays open
	default:
		c.Send(http.NewResponse(404, "no"))
	}
}

// serveH2 runs an http worker with h2Routes; sockets counts its sockets
// (not its streams) as they open.
func serveH2(t *testing.T, tlsConfig *tls.Config) (addr string, sockets *atomic.Int64) {
	t.Helper()
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1
	w.TLSConfig = tlsConfig
	sockets = new(atomic.Int64)
	w.OnConnect = func(c *connection.Conn) {
		if c.Parent() == nil {
			sockets.Add(1)
		}
	}
	w.OnMessage = h2Routes
	return testutil.Start(t, w), sockets
}

// h2cClient speaks HTTP/2 without TLS (prior knowledge), over one
// connection at a time.
func h2cClient() *nethttp.Client {
	protos := new(nethttp.Protocols)
	protos.SetUnencryptedHTTP2(true)
	return &nethttp.Client{Timeout: testTimeout, Transport: &nethttp.Transport{Protocols: protos}}
}

func h2get(t *testing.T, c *nethttp.Client, url string) (*nethttp.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, string(b)
}

// Go's HTTP/2 client, with prior knowledge: requests of every kind, many
// at once, all over one connection, answered by the same application
// code as HTTP/1.1.
func TestHTTP2PriorKnowledge(t *testing.T) {
	addr, sockets := serveH2(t, nil)
	base := "http://" + addr
	c := h2cClient()

	resp, body := h2get(t, c, base+"/hello")
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || body != "hello HTTP/2.0" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /hello: %s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
	}
	if resp.Header.Get("Connection") != "" {
		t.Fatalf("an HTTP/1.1 connection field in an HTTP/2 response: %v", resp.Header)
	}
	if resp, body := h2get(t, c, base+"/big"); resp.ContentLength != 1<<20 || len(body) != 1<<20 {
		t.Fatalf("GET /big: content-length %d, %d bytes", resp.ContentLength, len(body))
	}
	if _, body := h2get(t, c, base+"/chunked"); body != "part 0;part 1;part 2;" {
		t.Fatalf("GET /chunked: %q", body)
	}
	if resp, body := h2get(t, c, base+"/nothing"); resp.StatusCode != 404 || body != "no" {
		t.Fatalf("GET /nothing: %d %q", resp.StatusCode, body)
	}
	head, err := c.Head(base + "/hello")
	if err != nil || head.StatusCode != 200 || head.ContentLength != int64(len("hello HTTP/2.0")) {
		t.Fatalf("HEAD /hello: %v %+v", err, head)
	}
	head.Body.Close()

	// Bodies: with a content-length, and streamed without one.
	payload := strings.Repeat("upload ", 30000) // 210 KB: beyond the initial windows
	resp, err = c.Post(base+"/echo", "text/plain", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != payload || resp.Header.Get("X-Length") != fmt.Sprint(len(payload)) {
		t.Fatalf("POST /echo with content-length: %d bytes back, X-Length %s", len(got), resp.Header.Get("X-Length"))
	}
	pr, pw := io.Pipe()
	go func() {
		for range 10 {
			pw.Write([]byte(strings.Repeat("z", 1000)))
		}
		pw.Close()
	}()
	req, _ := nethttp.NewRequest("POST", base+"/echo", pr)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(got) != 10000 {
		t.Fatalf("POST /echo streamed: %d bytes back", len(got))
	}

	// Fifty requests at once share the connection.
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(fmt.Sprintf("%s/hello?i=%d", base, i))
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "hello HTTP/2.0" {
				errs <- fmt.Errorf("request %d: %q", i, b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := sockets.Load(); n != 1 {
		t.Fatalf("%d connections for all the requests, want 1", n)
	}
}

// Over TLS the client and the server agree on h2 by ALPN; an HTTP/1.1
// client on the same port still gets HTTP/1.1.
func TestHTTP2OverTLS(t *testing.T) {
	ca := testutil.NewCA(t)
	cert := ca.Issue(t, "localhost", "localhost", "127.0.0.1")
	addr, _ := serveH2(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	for _, h2 := range []bool{true, false} {
		tr := &nethttp.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) nethttp.RoundTripper{}
		}
		c := &nethttp.Client{Timeout: testTimeout, Transport: tr}
		resp, body := h2get(t, c, "https://"+addr+"/hello")
		want := map[bool]string{true: "HTTP/2.0", false: "HTTP/1.1"}[h2]
		if resp.Proto != want || body != "hello "+want {
			t.Fatalf("h2 %v: %s %q", h2, resp.Proto, body)
		}
		tr.CloseIdleConnections()
	}
}

// Ten event streams of one client share one connection, each with its
// own timer, as a browser's EventSources do over HTTP/2.
func TestHTTP2EventStreams(t *testing.T) {
	addr, sockets := serveH2(t, nil)
	c := h2cClient()
	c.Timeout = 0
	h2get(t, c, "http://"+addr+"/hello") // the connection, which the streams then share
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := nethttp.NewRequestWithContext(ctx, "GET", "http://"+addr+"/events", nil)
			req.Header.Set("Accept", "text/event-stream")
			resp, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				errs <- fmt.Errorf("stream %d: content-type %q", i, ct)
				return
			}
			var got bytes.Buffer
			buf := make([]byte, 512)
			for !strings.Contains(got.String(), "data: tick 3\n\n") {
				n, err := resp.Body.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					errs <- fmt.Errorf("stream %d: %v after %q", i, err, got.String())
					return
				}
			}
			if !strings.HasPrefix(got.String(), "data: first HTTP/2.0\n\n") {
				errs <- fmt.Errorf("stream %d: %q", i, got.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := sockets.Load(); n != 1 {
		t.Fatalf("%d connections for ten streams, want 1", n)
	}
}

// h2Conn is a raw HTTP/2 client for the protocol-level tests.
type h2Conn struct {
	t      *testing.T
	c      net.Conn
	fr     *http2.Framer
	encBuf bytes.Buffer
	enc    *hpack.Encoder
}

// dialH2 opens a connection with prior knowledge and sends settings.
func dialH2(t *testing.T, addr string, settings ...http2.Setting) *h2Conn {
	t.Helper()
	c := testutil.Dial(t, nil, addr)
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	h := &h2Conn{t: t, c: c, fr: http2.NewFramer(c, c)}
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	h.enc = hpack.NewEncoder(&h.encBuf)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := h.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	// The server's SETTINGS come first: acknowledged now, so that no
	// acknowledgement lands in the middle of what a test sends next.
	f, err := h.fr.ReadFrame()
	if sf, ok := f.(*http2.SettingsFrame); err != nil || !ok || sf.IsAck() {
		t.Fatalf("the server's first frame: %v %v, want its SETTINGS", f, err)
	}
	if err := h.fr.WriteSettingsAck(); err != nil {
		t.Fatal(err)
	}
	return h
}

// headers sends a request's HEADERS on stream id.
func (h *h2Conn) headers(id uint32, method, path string, end bool, fields ...string) {
	h.t.Helper()
	if err := h.writeHeaders(id, method, path, end, fields...); err != nil {
		h.t.Fatal(err)
	}
}

// writeHeaders is headers for a goroutine of the test: it returns the
// error.
func (h *h2Conn) writeHeaders(id uint32, method, path string, end bool, fields ...string) error {
	h.encBuf.Reset()
	all := append([]string{":method", method, ":scheme", "http", ":authority", "test", ":path", path}, fields...)
	for i := 0; i < len(all); i += 2 {
		h.enc.WriteField(hpack.HeaderField{Name: all[i], Value: all[i+1]})
	}
	return h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.encBuf.Bytes(), EndStream: end, EndHeaders: true})
}

// next reads the next frame, but for SETTINGS (their acknowledgement)
// and WINDOW_UPDATE frames.
func (h *h2Conn) next() (http2.Frame, error) {
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			return nil, err
		}
		switch f.(type) {
		case *http2.SettingsFrame, *http2.WindowUpdateFrame:
			continue
		}
		return f, nil
	}
}

// until reads frames until match says a frame is the one awaited; it
// fails the test if the connection ends first.
func (h *h2Conn) until(what string, match func(http2.Frame) bool) http2.Frame {
	h.t.Helper()
	for {
		f, err := h.next()
		if err != nil {
			h.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(f) {
			return f
		}
	}
}

// goAway reads until the GOAWAY frame and the connection's end, and
// returns its code.
func (h *h2Conn) goAway() http2.ErrCode {
	h.t.Helper()
	var code http2.ErrCode = 0xff
	for {
		f, err := h.next()
		if err != nil {
			if code == 0xff {
				h.t.Fatalf("the connection ended (%v) without GOAWAY", err)
			}
			return code
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			code = g.ErrCode
			h.t.Logf("GOAWAY %v: %s", g.ErrCode, g.DebugData())
		}
	}
}

// A stream whose client does not read (its window is full) waits; the
// other streams go on; WINDOW_UPDATE resumes it.
func TestHTTP2FlowControlPerStream(t *testing.T) {
	addr, _ := serveH2(t, nil)
	h := dialH2(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	h.headers(1, "GET", "/big", true)
	h.headers(3, "GET", "/hello", true)
	var got1 int
	done3 := false
	for got1 < 1000 || !done3 {
		f, err := h.next()
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := f.(*http2.DataFrame); ok {
			switch d.StreamID {
			case 1:
				got1 += len(d.Data())
			case 3:
				done3 = d.StreamEnded() && string(d.Data()) == "hello HTTP/2.0" || done3
			}
		}
	}
	if got1 != 1000 {
		t.Fatalf("stream 1 got %d bytes with a window of 1000", got1)
	}
	// More window, on the stream and the connection: more data.
	h.fr.WriteWindowUpdate(1, 5000)
	h.fr.WriteWindowUpdate(0, 5000)
	for got1 < 6000 {
		f := h.until("stream 1's data", func(f http2.Frame) bool { return f.Header().StreamID == 1 })
		if d, ok := f.(*http2.DataFrame); ok {
			got1 += len(d.Data())
		}
	}
	if got1 != 6000 {
		t.Fatalf("stream 1 got %d bytes after a window of 6000", got1)
	}
}

// The attacks of 2023–2024 and their kin are bounded: each ends the
// connection with GOAWAY, and the server goes on serving others.
func TestHTTP2Floods(t *testing.T) {
	addr, _ := serveH2(t, nil)
	t.Run("rapid reset", func(t *testing.T) {
		h := dialH2(t, addr)
		go func() {
			for id := uint32(1); id < 2*3000; id += 2 {
				if h.writeHeaders(id, "GET", "/hang", true) != nil || h.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
					return
				}
			}
		}()
		if code := h.goAway(); code != http2.ErrCodeEnhanceYourCalm {
			t.Fatalf("GOAWAY %v, want ENHANCE_YOUR_CALM", code)
		}
	})
	t.Run("ping flood", func(t *testing.T) {
		h := dialH2(t, addr)
		go func() {
			for range 3000 {
				if h.fr.WritePing(false, [8]byte{1}) != nil {
					return
				}
			}
		}()
		if code := h.goAway(); code != http2.ErrCodeEnhanceYourCalm {
			t.Fatalf("GOAWAY %v, want ENHANCE_YOUR_CALM", code)
		}
	})
	t.Run("continuation flood", func(t *testing.T) {
		h := dialH2(t, addr)
		h.encBuf.Reset()
		h.enc.WriteField(hpack.HeaderField{Name: ":method", Value: "GET"})
		if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: h.encBuf.Bytes()}); err != nil {
			t.Fatal(err)
		}
		junk := bytes.Repeat([]byte{0x40, 0x01, 'x', 0x01, 'y'}, 3000) // literal fields, 15 KB a frame
		go func() {
			for range 1000 { // 15 MB if nothing stopped it
				if h.fr.WriteContinuation(1, false, junk) != nil {
					return
				}
			}
		}()
		if code := h.goAway(); code != http2.ErrCodeEnhanceYourCalm {
			t.Fatalf("GOAWAY %v, want ENHANCE_YOUR_CALM", code)
		}
	})
	t.Run("too many streams", func(t *testing.T) {
		h := dialH2(t, addr)
		for id := uint32(1); id <= 201; id += 2 { // 101 streams, none answered
			h.headers(id, "GET", "/hang", true)
		}
		f := h.until("a refused stream", func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok })
		if r := f.(*http2.RSTStreamFrame); r.StreamID != 201 || r.ErrCode != http2.ErrCodeRefusedStream {
			t.Fatalf("RST_STREAM %d %v, want 201 REFUSED_STREAM", r.StreamID, r.ErrCode)
		}
	})
	t.Run("large header list", func(t *testing.T) {
		h := dialH2(t, addr)
		h.headers(1, "GET", "/hello", true, "x-big", strings.Repeat("b", 20000))
		f := h.until("the answer", func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok })
		if s := f.(*http2.MetaHeadersFrame).PseudoValue("status"); s != "431" {
			t.Fatalf("status %s, want 431", s)
		}
	})
	t.Run("malformed request", func(t *testing.T) {
		h := dialH2(t, addr)
		h.headers(1, "GET", "/hello", true, "X-Upper", "1")
		f := h.until("the reset", func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok })
		if r := f.(*http2.RSTStreamFrame); r.ErrCode != http2.ErrCodeProtocol {
			t.Fatalf("RST_STREAM %v, want PROTOCOL_ERROR", r.ErrCode)
		}
		// The connection goes on.
		h.headers(3, "GET", "/hello", true)
		h.until("stream 3's answer", func(f http2.Frame) bool {
			d, ok := f.(*http2.DataFrame)
			return ok && d.StreamID == 3 && string(d.Data()) == "hello HTTP/2.0"
		})
	})
	t.Run("ping", func(t *testing.T) {
		h := dialH2(t, addr)
		h.fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
		f := h.until("the ping's answer", func(f http2.Frame) bool { _, ok := f.(*http2.PingFrame); return ok })
		if p := f.(*http2.PingFrame); !p.IsAck() || p.Data != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
			t.Fatalf("PING answer %+v", p)
		}
	})
	if _, body := h2get(t, h2cClient(), "http://"+addr+"/hello"); body != "hello HTTP/2.0" {
		t.Fatalf("after the floods: %q", body)
	}
}

// A stop sends GOAWAY; a stream in progress finishes, then the connection
// closes.
func TestHTTP2GoAwayOnStop(t *testing.T) {
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1
	w.OnMessage = h2Routes
	addr := testutil.Start(t, w)
	h := dialH2(t, addr)
	h.headers(1, "GET", "/events", true, "accept", "text/event-stream")
	h.until("the first event", func(f http2.Frame) bool { _, ok := f.(*http2.DataFrame); return ok })
	stopped := make(chan error, 1)
	go func() { stopped <- w.Stop(context.Background()) }()
	var sawGoAway, sawEnd bool
	for !sawEnd {
		f, err := h.next()
		if err != nil {
			t.Fatalf("after GOAWAY %v, the stream did not end: %v", sawGoAway, err)
		}
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			sawGoAway = f.ErrCode == http2.ErrCodeNo && f.LastStreamID == 1
		case *http2.DataFrame:
			sawEnd = f.StreamEnded()
		}
	}
	if !sawGoAway {
		t.Fatal("the stream ended without a GOAWAY NO_ERROR naming stream 1 first")
	}
	if _, err := h.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last stream: %v, want the connection closed", err)
	}
	testutil.Recv(t, stopped, "the stop")
}
